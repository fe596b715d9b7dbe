"""Janus's multistream VideoRoom demo client (janus-demos mvideoroomtest.html): one connection
carries everyone, as in Google Meet and Microsoft Teams. Same page facts as videoroomtest.html
(verified here the same way); see janus_videoroom."""

from __future__ import annotations

from meetbot.connectors.browser.profiles.janus_videoroom import profile

PROFILE = profile("mvideoroomtest.html", "janus_mvideoroom")
