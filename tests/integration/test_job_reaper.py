"""Jobs whose process dies: heartbeats while a job runs, the reaper that fails (or retries) a job whose
heartbeat stopped, the heartbeat age in API and dashboard, and a real `kustos worker` SIGKILLed in the
middle of a backup: reaped, scheduled again, completed, earlier snapshot intact."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.config import ConfigError, load_settings
from kustos.jobs import handlers, reaper, schedules, services
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.backup.test_backup_crash import (
    TENANT,
    USER,
    downloads,
    expected,
    kustos,
    setup_source,
    snapshot_files,
)


def running_job(kind: str = "customer.delete", *, beat_ago: float, attempts: int = 1, max_attempts: int = 3,
                worker: str = "host-a:4242/worker-1") -> Job:
    now = timezone.now()
    return Job.objects.create(kind=kind, state=Job.State.RUNNING, attempts=attempts, max_attempts=max_attempts,
                              started_at=now - timedelta(seconds=beat_ago + 60),
                              heartbeat_at=now - timedelta(seconds=beat_ago), worker=worker)


def test_heartbeat_settings_are_checked(tmp_path):
    env = {"KUSTOS_HOME": str(tmp_path)}
    default = load_settings(env)
    assert (default.job_heartbeat_interval, default.job_heartbeat_timeout) == (30, 300)
    assert load_settings({**env, "KUSTOS_JOB_HEARTBEAT_INTERVAL": "5", "KUSTOS_JOB_HEARTBEAT_TIMEOUT": "10"})
    with pytest.raises(ConfigError, match="KUSTOS_JOB_HEARTBEAT_TIMEOUT must be at least twice"):
        load_settings({**env, "KUSTOS_JOB_HEARTBEAT_TIMEOUT": "45"})
    with pytest.raises(ConfigError, match="KUSTOS_JOB_HEARTBEAT_INTERVAL must be at least 1 second"):
        load_settings({**env, "KUSTOS_JOB_HEARTBEAT_INTERVAL": "0"})


@pytest.mark.django_db
def test_reaper_fails_a_job_without_heartbeat_and_spares_a_live_one(django_capture_on_commit_callbacks):
    dead = running_job(beat_ago=400, attempts=1, max_attempts=1)
    alive = running_job(beat_ago=10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reaped = reaper.reap(300)
    assert [r["id"] for r in reaped] == [dead.id] and callbacks == []  # one attempt only: nothing re-enqueued
    dead.refresh_from_db()
    alive.refresh_from_db()
    since = dead.heartbeat_at.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%d %H:%M:%S")
    assert dead.state == Job.State.FAILED and dead.finished_at is not None
    assert dead.error == f"worker stopped (no heartbeat since {since} UTC on host-a:4242/worker-1)"
    assert alive.state == Job.State.RUNNING and alive.error == ""
    assert reaper.reap(300) == []  # reaping twice changes nothing


@pytest.mark.django_db
def test_reaper_retries_a_job_whose_kind_allows_another_attempt(django_capture_on_commit_callbacks, monkeypatch):
    job = running_job(beat_ago=301, attempts=1, max_attempts=3)
    legacy = Job.objects.create(kind="source.run", state=Job.State.RUNNING, attempts=3, max_attempts=3,
                                started_at=timezone.now() - timedelta(hours=1))  # running before heartbeats
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(services, "enqueue", lambda job_id, delay: queued.append((job_id, delay)))
    with django_capture_on_commit_callbacks(execute=True):
        reaped = reaper.reap(300)
    assert {r["id"]: r["state"] for r in reaped} == {job.id: "retrying", legacy.id: "failed"}
    assert queued == [(job.id, services.backoff_seconds(1))]
    job.refresh_from_db()
    assert job.state == Job.State.RETRYING and job.finished_at is None
    assert job.error.startswith("worker stopped (no heartbeat since ")
    legacy.refresh_from_db()
    assert legacy.state == Job.State.FAILED and "no heartbeat since" in legacy.error


@pytest.mark.django_db
def test_worker_start_reaps_with_the_configured_timeout(settings):
    stale = running_job(beat_ago=settings.KUSTOS.job_heartbeat_timeout + 5, max_attempts=1)
    fresh = running_job(beat_ago=settings.KUSTOS.job_heartbeat_timeout - 60)
    schedules.reap_stale_jobs_at_start()
    assert Job.objects.get(id=stale.id).state == Job.State.FAILED
    assert Job.objects.get(id=fresh.id).state == Job.State.RUNNING
    assert schedules.reap_stale_jobs.call_local() == 0


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_from_a_background_thread(monkeypatch, settings):
    """A handler that reports no progress for a while still keeps its heartbeat fresh."""
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, job_heartbeat_interval=0.2)
    seen: list = []

    def quiet(job, progress):
        first = Job.objects.get(id=job.id).heartbeat_at
        time.sleep(1.5)
        seen.extend([first, Job.objects.get(id=job.id).heartbeat_at])
        return {"ok": True}

    monkeypatch.setitem(handlers.HANDLERS, "test.quiet", quiet)
    job = Job.objects.create(kind="test.quiet", max_attempts=1)
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.worker.count(":") == 1
    first, later = seen
    assert later - first >= timedelta(seconds=0.8), (first, later)


@pytest.mark.django_db(transaction=True)
def test_a_job_run_by_its_own_process_beats_until_it_is_marked_done(settings):
    """`services.start` (e.g. `kustos import`): the caller runs the job and reports progress rarely."""
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, job_heartbeat_interval=0.2)
    job = services.start("archive.import")
    first = job.heartbeat_at
    time.sleep(1.2)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and job.heartbeat_at - first >= timedelta(seconds=0.6)
    services.mark_succeeded(job, {})
    time.sleep(0.5)  # the thread sees the job done and stops beating
    job.refresh_from_db()
    last = job.heartbeat_at
    time.sleep(0.6)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.heartbeat_at == last
    assert not [t for t in threading.enumerate() if t.name == f"heartbeat-{job.id}"]


@pytest.mark.django_db
def test_api_and_dashboard_show_the_heartbeat_age_of_running_jobs(client: Client, settings):
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, require_2fa_for_admins=False)
    partner = factories.partner("Beat Partner")
    user = factories.user("admin@beat.example", "partner_admin", partner=partner)
    _, secret = tokens.create(user, "ci")
    job = running_job(beat_ago=42)
    Job.objects.filter(id=job.id).update(partner=partner)
    done = Job.objects.create(kind="customer.delete", partner=partner, state=Job.State.SUCCEEDED,
                              heartbeat_at=timezone.now(), worker="h:1/t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    body = client.get(f"/api/v1/jobs/{job.id}", **auth).json()
    assert 42 <= body["heartbeat_age"] <= 60 and body["worker"] == "host-a:4242/worker-1"
    assert body["heartbeat_at"] is not None
    assert client.get(f"/api/v1/jobs/{done.id}", **auth).json()["heartbeat_age"] is None
    client.force_login(user)
    page = client.get(f"/jobs/{job.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Last heartbeat" in html and "seconds ago" in html and "host-a:4242/worker-1" in html
    listing = client.get("/jobs/").content.decode()
    assert listing.count('data-testid="job-heartbeat"') == 1 and "heartbeat 4" in listing


# --- a real worker process, SIGKILLed in the middle of a backup ------------------------------------

ENQUEUE = """
import django, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()
from datetime import timedelta
from django.db import transaction
from kustos.backup import jobs as backup_jobs
from kustos.backup.models import BackupPlan
from kustos.backup.services import plans
from kustos.jobs import services
services.set_inline(False)
plan = BackupPlan.objects.get(source_id=sys.argv[1])
if sys.argv[2] == "now":
    with transaction.atomic():
        job = plans.run_now(plan, actor="test")
    print(json.dumps([job.id]))
else:  # a scheduler pass once a run that did not succeed may be tried again (well before the interval)
    BackupPlan.objects.filter(id=plan.id).update(last_run_at=plan.last_run_at - plans.RETRY_FAILED_AFTER,
                                                 last_success_at=plan.last_success_at - plans.RETRY_FAILED_AFTER)
    before = set(services.Job.objects.values_list("id", flat=True))
    with transaction.atomic():
        backup_jobs.enqueue_due()
    print(json.dumps(sorted(set(services.Job.objects.values_list("id", flat=True)) - before)))
"""


def enqueue(env: dict, source: str, mode: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", ENQUEUE, source, mode], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def job_row(env: dict, job_id: str) -> dict:
    rows = json.loads(kustos(env, "jobs", "list", "--json").stdout)
    return next(r for r in rows if r["id"] == job_id)


def wait_for_state(env: dict, job_id: str, states: set[str], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    row = job_row(env, job_id)
    while row["state"] not in states and time.monotonic() < deadline:
        time.sleep(1)
        row = job_row(env, job_id)
    return row


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kustos.cli", "worker", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def test_killed_worker_is_reaped_and_the_plan_runs_again(fakecloud, tmp_path, cli_env):
    control = fakecloud.control
    # the queue in this test's own home: a Redis queue shared with tests running in parallel could hand
    # this job to another test's worker (which does not know it)
    env = {k: v for k, v in cli_env.items() if k != "KUSTOS_REDIS_URL"}
    env.update(KUSTOS_JOB_HEARTBEAT_INTERVAL="1", KUSTOS_WORKERS="1")
    control.call("reset")
    for i in range(60):
        control.seed("ms", TENANT, USER, "file", f"/Docs/f{i:03d}.txt", f"file {i}\n".encode() * (i + 1))
    source = setup_source(env, control)
    first = json.loads(kustos(env, "backup", "run", "--source", source, "--json").stdout)
    first_files = expected(control)
    for i in range(6):  # work for the killed run: large files downloaded one after the other
        control.seed("ms", TENANT, USER, "file", f"/Big/large{i}.bin", b"", {"size": 64 << 20, "seed": i})
    (job_id,) = enqueue(env, source, "now")

    worker = start_worker(env)
    try:
        base, start = downloads(control), time.monotonic()
        while downloads(control) - base < 2 and worker.poll() is None and time.monotonic() - start < 120:
            time.sleep(0.05)
        assert worker.poll() is None, "the worker ended by itself"
        worker.send_signal(signal.SIGKILL)  # mid-run: four of six large files still to come
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    killed = job_row(env, job_id)
    assert killed["state"] == "running" and killed["heartbeat_at"] and killed["worker"]
    assert json.loads(kustos(env, "jobs", "reap", "--timeout", "60", "--json").stdout) == []  # heartbeat fresh
    time.sleep(3.5)
    reaped = json.loads(kustos(env, "jobs", "reap", "--timeout", "3", "--json").stdout)
    assert [(r["id"], r["state"]) for r in reaped] == [(job_id, "failed")]
    row = job_row(env, job_id)
    assert row["state"] == "failed" and row["error"].startswith("worker stopped (no heartbeat since ")
    assert row["heartbeat_age"] is None

    (again,) = enqueue(env, source, "scheduler")  # the reaped run no longer keeps the plan busy
    worker = start_worker(env)
    try:
        done = wait_for_state(env, again, {"succeeded", "failed"}, 300)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert done["state"] == "succeeded", done
    assert done["result"]["complete"] is True and done["result"]["failed"] == []
    verify = kustos(env, "vault", "verify", "--json", check=False)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True, verify.stdout + verify.stderr
    assert snapshot_files(env, first["snapshot"], tmp_path / "first.zip") == first_files
    assert snapshot_files(env, done["result"]["snapshot"], tmp_path / "last.zip") == expected(control)
