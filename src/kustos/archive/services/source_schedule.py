"""The scheduler's tick for archive sources: start a run for every due source, exactly once.

``sources.due`` reads only the due rows (a few queries for any number of sources). The tick runs in
one transaction that holds the installation-wide scheduler lock, so a second scheduler process (a
mistake, or two during a restart) waits and then sees the first one's queued jobs as busy: no source
is started twice. The lock is PostgreSQL's transaction advisory lock, and on SQLite the write lock
that the ``IMMEDIATE`` transaction takes at its start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction

from kustos.archive.services import sources
from kustos.jobs.models import Job

# pg_advisory_xact_lock key of the scheduler's ticks
_LOCK_KEY = 0x6B75_7374_0001


def enqueue_due(now: datetime | None = None) -> list[Job]:
    """One tick: a ``source.run`` job for each due source (queued once the transaction commits)."""
    with tick():
        return [sources.run_now(source, actor="scheduler") for source in sources.due(now)]


@contextmanager
def tick() -> Iterator[None]:
    """A transaction holding the scheduler lock (also taken by the backup plans' tick)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        yield
