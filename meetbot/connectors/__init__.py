"""Meeting platforms behind one protocol (meetbot.connectors.base.Connector).

- `janus.JanusConnector`: Janus VideoRoom over its WebSocket API, media with aiortc.
  Built from `janus_session` (WebSocket transactions, keepalive), `janus_videoroom` (wire
  types, the bot's room participant), `janus_stay` (one stay in the room, from join to loss)
  and `janus_feed` (one subscription per feed, with a valve per video).

- `browser.connector.BrowserConnector`: the platform's own web client in a real Chromium
  (Playwright), for Meet, Teams, Zoom, Jitsi and Janus's demo clients; see meetbot.connectors.
  browser. `platform.connector_for` picks one from `meeting.platform`.

Modules are imported by name (`from meetbot.connectors.janus import JanusConnector`) so that
importing this package stays cheap for commands that never join a meeting.
"""
