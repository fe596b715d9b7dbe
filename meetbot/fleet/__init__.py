"""Many chapters at once: the Celery scheduler and workers, occurrence claims.

Only `meetbot.fleet.broker` (and what imports it) loads Celery; the chapters and the claims
are plain modules, so `meetbot chapters check` never pays for it. A chapter's schedule is one
of its settings (meetbot.config.schedule): the fleet reads it, the settings never import the fleet.
"""
