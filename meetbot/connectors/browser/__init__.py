"""The browser bridge: meetbot in a platform's own web client, through a real Chromium.

- `launch`: Debian's Chromium through Playwright, its flags, private profile folder, English UI
  and fake devices fed silence and black.
- `tab.MeetingTab`: one browser with the meeting page, the page scripts, the profile's steps.
- `page/`: the scripts injected into the page: `core.js` (any WebRTC client: tracks, pictures,
  audio levels), `janus_tap.js` (Janus VideoRoom signalling), `dom.js` (tiles, labels, lists);
  `wire.d.ts` types what they post for the checker (scripts/gate).
- `wire`: what the page scripts post, typed for Python; `parse` drops what does not fit.
  `to_page`: what Python tells them (settings, page facts, pause/resume).
- `profiles/`: one table of selectors and page facts per client.
- readers turn the profile's messages into typed `changes` and import nothing from the room:
  `janus_tap` the Janus VideoRoom signalling, `dom_reader` the page's participant list and tiles
  (and, in tiles mode, how long each person is on screen).
- `room.Room`: the page's messages as domain events; `Room.apply` is where the changes land.
- `own_media`: once in, does the page show the bot muted with its camera off?
- `connector.BrowserConnector`: the Connector, with recovery.

Imported by name, like the other connectors: Playwright loads only when a browser is used.
"""
