"""Delivery: the outbox, Discord (bot and webhook) and the console/file fallback.

discord.py imports the standard library's `audioop` for voice, which meetbot never uses, and
Python deprecates that module. Importing discord here once, with exactly that warning ignored,
keeps `-W error` runs (the test suite) working without silencing anything else.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401
