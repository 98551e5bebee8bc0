"""Huey tasks of webhook deliveries: one attempt (queued by ``events.emit`` once the transaction
commits) and, every minute, the retries whose time has come."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kustos.notify.services import webhooks


@db_task()
def deliver(delivery_id: str) -> None:
    webhooks.attempt_id(delivery_id)


@db_periodic_task(crontab(minute="*"))
def retry_due() -> int:
    return webhooks.run_due()
