"""Heartbeats of running jobs: the executing process refreshes ``Job.heartbeat_at`` from a
background thread every few seconds (and on every progress call, see ``services.Progress``).

A process that is killed (SIGKILL, out of memory, machine lost) stops beating; the reaper
(``jobs/reaper.py``) then marks its job failed. The thread ends by itself when the job is no
longer running under this worker (finished, or reaped and taken over by another worker).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import DatabaseError, connection
from django.utils import timezone

from kustos.jobs.models import Job

log = logging.getLogger("kustos.jobs")


def worker_identity() -> str:
    """``host:pid/thread`` of the calling thread: where a running job runs."""
    return f"{socket.gethostname()}:{os.getpid()}/{threading.current_thread().name}"[:200]


def beat(job_id: str, worker: str) -> bool:
    """Refresh the heartbeat; False when the job is no longer running under ``worker``."""
    return Job.objects.filter(id=job_id, state=Job.State.RUNNING, worker=worker).update(
        heartbeat_at=timezone.now()) > 0


class Heartbeat:
    """A daemon thread beating for one job every ``interval`` seconds until stopped."""

    def __init__(self, job_id: str, worker: str, interval: float) -> None:
        self.job_id, self.worker, self.interval = job_id, worker, max(0.1, float(interval))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        touched = False
        try:
            while not self._stop.wait(self.interval):
                touched = True
                try:
                    if not beat(self.job_id, self.worker):
                        return
                except DatabaseError as exc:  # busy database: the next beat tries again
                    log.warning("heartbeat of job %s failed: %s", self.job_id, type(exc).__name__)
        except Exception:  # noqa: BLE001 - a heartbeat must never take its process down
            log.exception("heartbeat of job %s stopped", self.job_id)
        finally:
            if touched:
                connection.close()
