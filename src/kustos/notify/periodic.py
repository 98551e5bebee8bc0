"""The scheduler's notification work (registered by importing this module in ``cli/server.py``):
the delivery tasks (``tasks``) and, hourly, the checks that raise events themselves (storage
growth, trials ending, late backups; each incident once)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.notify import tasks  # noqa: F401  (registers the delivery tasks)
from kustos.notify.services import checks


@db_periodic_task(crontab(minute="17"))
def hourly_checks() -> dict:
    return checks.run_all()
