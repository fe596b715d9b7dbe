"""Many chapters at once: schedules, the Celery scheduler and workers, occurrence claims.

Only `meetbot.fleet.broker` (and what imports it) loads Celery; the schedule and the claims
are plain modules, so `meetbot chapters check` and the settings never pay for it.
"""
