"""The scheduler at 10,000 sources: each tick reads only due rows, every due source is started in the
tick after its time (within a minute), never twice, and a second scheduler racing the first is harmless."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kustos.archive.models import Source
from kustos.archive.services import source_schedule
from kustos.jobs.models import Job
from tests.conftest import REPO
from tests.integration.scale.population import populate

SOURCES = 10_000
# A tick must end well inside its one-minute interval, also on a loaded CI machine (a quiet 2-core
# box needs ~1-2 s for a tick that starts ~700 sources); the query count is what keeps it from growing.
TICK_SECONDS = 30.0
RACE_SOURCES = 1000


def _spread(sources: list[Source], t0) -> dict[str, object]:
    """Source i is due at t0 + (i * 97 mod 900) s: due times spread over 15 minutes."""
    due = {}
    for i, s in enumerate(sources):
        s.last_run_at = t0 - timedelta(minutes=15) + timedelta(seconds=(i * 97) % 900)
        due[s.id] = s.last_run_at + timedelta(minutes=s.interval_minutes)
    Source.objects.bulk_update(sources, ["last_run_at"], batch_size=2000)
    return due


def _runs_finish(jobs: list[Job], started) -> None:
    """The workers ran the tick's jobs: their sources record the run's start, the jobs end."""
    ids = [j.params["source"] for j in jobs]
    for start in range(0, len(ids), 500):
        Source.objects.filter(id__in=ids[start:start + 500]).update(last_run_at=started)
    Job.objects.filter(id__in=[j.id for j in jobs]).update(state=Job.State.SUCCEEDED, finished_at=started)


@pytest.mark.slow  # 10,000 rows: runs serially in both CI legs
@pytest.mark.django_db
def test_ten_thousand_sources_start_within_a_minute_of_their_time_and_once():
    population = populate(SOURCES, messages=0)
    t0 = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    due = _spread(population.sources, t0)
    started: Counter[str] = Counter()
    slowest = 0.0
    for minute in range(16):  # ticks at t0, t0+1 min, ..., t0+15 min
        tick = t0 + timedelta(minutes=minute)
        connection.queries_log.clear()  # the log keeps 9000 queries: count this tick's from zero
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            jobs = source_schedule.enqueue_due(now=tick)
        elapsed = time.perf_counter() - began
        slowest = max(slowest, elapsed)
        # a tick's reads do not grow with the number of sources: a fixed number plus one insert per job
        assert len(queries) - len(jobs) <= 6, (minute, len(queries), len(jobs))
        for job in jobs:
            source = job.params["source"]
            assert tick - timedelta(seconds=60) < due[source] <= tick, (source, due[source], tick)
            started[source] += 1
        # not started again while its job is queued
        assert source_schedule.enqueue_due(now=tick) == []
        _runs_finish(jobs, tick)
        for job in jobs:
            due[job.params["source"]] = tick + timedelta(minutes=15)
    # every source started once in the 15 minutes; the ones due at t0 again at t0 + 15 min
    assert len(started) == SOURCES
    again = {s for s, count in started.items() if count == 2}
    assert again and all(count <= 2 for count in started.values())
    assert Job.objects.filter(kind="source.run", created_by="scheduler", state=Job.State.SUCCEEDED).count() \
        == SOURCES + SOURCES + len(again)  # the population's finished jobs, the runs, the second runs
    print(f"\nscheduler: {SOURCES} sources, slowest tick {slowest:.2f} s")
    assert slowest < TICK_SECONDS


@pytest.mark.slow
def test_two_schedulers_racing_start_each_due_source_once(cli_env, tmp_path):
    """Two scheduler processes tick at the same moment on one database: each due source is started once."""
    env = {**cli_env, "PYTHONPATH": str(REPO)}
    child = [sys.executable, str(Path(__file__).with_name("scheduler_child.py"))]
    subprocess.run([*child, "setup", str(RACE_SOURCES)], env=env, check=True, timeout=300, cwd=tmp_path)
    procs = [subprocess.Popen([*child, "tick", "-"], env=env, cwd=tmp_path, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    at = time.time() + 0.5
    for p in procs:
        p.stdin.write(f"{at}\n")
        p.stdin.flush()
    started = sorted(int(p.communicate(timeout=300)[0].strip()) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    assert started == [0, RACE_SOURCES]
