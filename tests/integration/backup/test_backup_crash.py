"""SIGKILL a running `kustos backup run` (fakecloud OneDrive, a real process): the vault verifies clean,
the earlier snapshot still downloads with fakecloud's sha256 for every file, the killed run's job does
not block the next run, and that run completes a snapshot that matches fakecloud exactly."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.backup.services import plans, runs
from kustos.jobs import reaper
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute

TENANT = "kustos-crash.onmicrosoft.com"
USER = "lena@kustos-crash.onmicrosoft.com"
LARGE = 3


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def kustos(env: dict, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                          input=stdin, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def seed(control, small: int, large_size: int) -> None:
    for i in range(small):
        control.seed("ms", TENANT, USER, "file", f"/Docs/d{i % 7}/f{i:04d}.txt", f"file {i}\n".encode() * (i % 40 + 1))
    for i in range(LARGE):
        control.seed("ms", TENANT, USER, "file", f"/Big/large{i}.bin", b"", {"size": large_size, "seed": i})


def expected(control) -> dict[str, str]:
    return {row["path"].lstrip("/"): row["sha256"] for row in control.items("ms", TENANT, "file", USER)}


def snapshot_files(env: dict, snapshot: str, target: Path) -> dict[str, str]:
    """path -> sha256 of every file of the snapshot, read from `kustos backup download`."""
    kustos(env, "backup", "download", snapshot, "-o", str(target), "--json")
    got: dict[str, str] = {}
    with zipfile.ZipFile(target) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            path = info.filename.split("/", 1)[1]
            assert path not in got, f"{path} twice in snapshot {snapshot}"
            digest = hashlib.sha256()
            with zf.open(info) as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            got[path] = digest.hexdigest()
    target.unlink()
    return got


def setup_source(env: dict, control) -> str:
    settings = control.credentials("ms", TENANT)
    partner = json.loads(kustos(env, "partner", "create", "Crash", "--json").stdout)["id"]
    cust = json.loads(kustos(env, "customer", "create", "--partner", partner, "K", "--json").stdout)["id"]
    source = json.loads(kustos(env, "source", "add", "graph", "--customer", cust, "--tenant-id", settings["tenant_id"],
                               "--client-id", settings["client_id"], "--client-secret-stdin",
                               "--endpoint", settings["endpoint"], "--json",
                               stdin=settings["client_secret"] + "\n").stdout)["id"]
    kustos(env, "backup", "enable", "--source", source, "--services", "onedrive", "--json")
    return source


def downloads(control) -> int:
    return sum(1 for r in control.stats()["requests"]
               if r["method"] == "GET" and ("/content" in r["path"] or "download" in r["path"]))


def wait_for_kill_point(proc: subprocess.Popen, control, point: tuple[str, float]) -> None:
    """Return after ``point`` = ("seconds", s) or ("downloads", n) of this run, or when it ended."""
    kind, amount = point
    start, base = time.monotonic(), downloads(control)
    while proc.poll() is None and time.monotonic() - start < 60:
        if kind == "seconds" and time.monotonic() - start >= amount:
            return
        if kind == "downloads" and downloads(control) - base >= amount:
            return
        time.sleep(0.05)


def crash_and_resume(tmp_path: Path, env: dict, control, points: list[tuple[str, float]], small: int,
                     large_size: int) -> None:
    control.call("reset")
    seed(control, small, large_size)
    source = setup_source(env, control)
    first = json.loads(kustos(env, "backup", "run", "--source", source, "--json").stdout)
    assert first["failed"] == []
    first_files = expected(control)
    assert snapshot_files(env, first["snapshot"], tmp_path / "first.zip") == first_files

    kills = 0
    for k, point in enumerate(points, start=1):
        # change before each attempt (a killed run resumes, so each attempt needs fresh work): every tenth
        # small file rewritten, the large files replaced, a few new files
        for i in range(k % 10, small, 10):
            control.seed("ms", TENANT, USER, "file", f"/Docs/d{i % 7}/f{i:04d}.txt", f"changed {k} {i}\n".encode() * 30)
        for i in range(LARGE):
            control.seed("ms", TENANT, USER, "file", f"/Big/large{i}.bin", b"", {"size": large_size, "seed": 100 * k + i})
        for i in range(5):
            control.seed("ms", TENANT, USER, "file", f"/New/{k}/n{i}.txt", f"new {k} {i}\n".encode())
        proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "backup", "run", "--source", source, "--json"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for_kill_point(proc, control, point)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        else:
            print(f"run {k} ended before its kill point {point}")
        proc.communicate()
    # a run killed after N downloads is killed for sure; a time-based kill may miss on a fast machine
    assert kills >= max(1, sum(kind == "downloads" for kind, _ in points)), f"only {kills} runs were killed"

    verify = kustos(env, "vault", "verify", "--json", check=False)
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["ok"] is True and not report["damaged"] and not report["missing"], (
        verify.stdout + verify.stderr)
    assert snapshot_files(env, first["snapshot"], tmp_path / "first-again.zip") == first_files

    final = kustos(env, "backup", "run", "--source", source, "--json", check=False)
    assert final.returncode == 0, f"the run after {kills} kills failed: {final.stderr}"
    last = json.loads(final.stdout)
    assert last["failed"] == []
    snaps = json.loads(kustos(env, "backup", "snapshots", "--source", source, "--json").stdout)
    assert snaps[-1]["id"] == last["snapshot"] or snaps[0]["id"] == last["snapshot"]
    assert {s["id"]: s["complete"] for s in snaps}[last["snapshot"]] is True
    now = expected(control)
    assert now != first_files
    assert snapshot_files(env, last["snapshot"], tmp_path / "last.zip") == now
    assert {s["id"]: s["items"] for s in snaps}[last["snapshot"]] >= len(now)


def test_backup_killed_once_then_completes(fakecloud, tmp_path, cli_env):
    crash_and_resume(tmp_path, cli_env, fakecloud.control, [("downloads", 5)], small=150, large_size=8 * 1024 * 1024)


@pytest.mark.slow
def test_backup_killed_repeatedly_then_completes(fakecloud, tmp_path, cli_env):
    crash_and_resume(tmp_path, cli_env, fakecloud.control, [("seconds", 1.5), ("downloads", 3), ("seconds", 2.2), ("downloads", 30), ("downloads", 1)],
                     small=400,
                     large_size=40 * 1024 * 1024)


@pytest.mark.django_db
def test_a_killed_runs_job_is_reaped_and_stops_blocking_the_schedule(source, cloud, monkeypatch):
    """A process killed mid-run leaves its job "running" (no except clause runs, as with SystemExit
    here); once its heartbeat is older than the timeout the reaper fails it and the scheduler starts
    the plan again."""
    plan = plans.enable(source)
    assert [p.id for p in plans.due()] == [plan.id]

    def killed(*args, **kwargs):
        raise SystemExit(-9)

    monkeypatch.setattr(runs, "run", killed)
    with pytest.raises(SystemExit):
        execute(plans.run_now(plan, actor="test").id)
    job = Job.objects.get(kind=plans.JOB_KIND, params__plan=plan.id)
    assert job.state == Job.State.RUNNING and job.heartbeat_at is not None and job.worker
    assert plans.due() == []  # a run that may still be alive keeps its plan busy
    assert reaper.reap(300) == []  # its heartbeat is fresh
    assert plans.due() == []
    later = job.heartbeat_at + timedelta(seconds=301)
    assert [r["id"] for r in reaper.reap(300, now=later)] == [job.id]
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.finished_at is not None  # backup.run: one attempt
    assert job.error.startswith("worker stopped (no heartbeat since ")
    assert [p.id for p in plans.due()] == [plan.id]

    monkeypatch.undo()
    nxt = plans.run_now(plan, actor="test")
    execute(nxt.id)
    nxt.refresh_from_db()
    assert nxt.state == Job.State.SUCCEEDED and nxt.result["items"] == 7 and nxt.result["failed"] == []
