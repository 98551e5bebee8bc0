"""Periodic evidence work (huey): the daily check of the time-stamp certificates (requirement 20).
Registered by importing this module where the other periodic tasks are (``cli/server.py``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.archive.services import evidence_renewal


@db_periodic_task(crontab(minute="53", hour="4"))
def daily_evidence_check() -> int:
    """Daily, 04:53: warn operators about TSA certificates expiring soon; renew when configured."""
    return len(evidence_renewal.daily_check()["warnings"])
