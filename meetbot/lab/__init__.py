"""The project's own meeting lab: a private Janus and scripted participants.

Used by the integration tests, the demo and the bench. Everything here runs inside
scripts/in-sandbox (a throw-away network namespace); no frame or tone leaves it.
"""
