"""A job that finds its customer's vault locked by another writer is busy, not broken: it is tried
again after the backoff (also a scheduled source run, which has a single attempt), and fails only
after BUSY_ATTEMPTS; any other error keeps the job's own max_attempts."""

from __future__ import annotations

import pytest

from kustos.core.lazy import resolve
from kustos.jobs import services, tasks
from kustos.jobs.models import Job
from kustos.vault.errors import LockedError

pytestmark = pytest.mark.django_db

KIND = "source.run"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(services, "enqueue", lambda job_id, delay=0: calls.append((job_id, delay)))
    return calls


def _handler(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    def fail(job, progress):
        raise exc
    monkeypatch.setitem(resolve(tasks.HANDLERS), KIND, fail)


def test_a_locked_customer_is_retried_with_backoff_then_fails(monkeypatch, queued):
    _handler(monkeypatch, LockedError("cu_x", 60))
    job = services.create(KIND, params={"source": "src_x"}, max_attempts=1)
    queued.clear()
    for attempt in range(1, services.BUSY_ATTEMPTS):
        tasks.execute(job.id)
        job.refresh_from_db()
        assert (job.state, job.attempts) == (Job.State.RETRYING, attempt)
        assert "locked by another writer" in job.error
        assert queued[-1] == (job.id, services.backoff_seconds(attempt))
    tasks.execute(job.id)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.FAILED, services.BUSY_ATTEMPTS)
    assert len(queued) == services.BUSY_ATTEMPTS - 1


def test_other_errors_keep_the_jobs_own_attempts(monkeypatch, queued):
    _handler(monkeypatch, OSError("connection refused"))
    job = services.create(KIND, params={"source": "src_x"}, max_attempts=1)
    queued.clear()
    tasks.execute(job.id)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.FAILED, 1) and queued == []


def test_a_permanent_error_is_never_retried_even_when_busy_would_be(monkeypatch, queued):
    _handler(monkeypatch, services.PermanentJobError("bad settings"))
    job = services.create(KIND, params={"source": "src_x"}, max_attempts=3)
    queued.clear()
    tasks.execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and queued == []
