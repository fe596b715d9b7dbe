"""Meeting platforms behind one protocol (meetbot.connectors.base.Connector).

- `janus.JanusConnector`: Janus VideoRoom over its WebSocket API, media with aiortc.
  Built from `janus_session` (WebSocket transactions, keepalive) and `janus_videoroom`
  (wire types, the bot's room participant, one subscription per feed).

Modules are imported by name (`from meetbot.connectors.janus import JanusConnector`) so that
importing this package stays cheap for commands that never join a meeting.
"""
