"""Periodic billing work (huey): every day, trials that ended are converted or ended (partners are
told 3 days ahead), then every customer's usage is sampled and its activations brought up to date.
Registered by importing this module where the other periodic tasks are (``cli/server.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.billing.services import trials, usage


def daily(as_of: datetime | None = None) -> dict[str, Any]:
    return {"trials": trials.expire(as_of), "usage": usage.sample(as_of)}


@db_periodic_task(crontab(minute="41", hour="1,13"))
def billing_daily() -> dict[str, Any]:
    """Twice a day (01:41, 13:41): trial ends and warnings, usage samples (a day keeps its maximum)."""
    return daily()
