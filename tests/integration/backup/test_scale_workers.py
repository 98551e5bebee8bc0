"""Three `kustos worker` processes on one PostgreSQL database, one Redis queue and one S3 vault back up
one tenant together: several sources of the same customer (each plan a part of the tenant's users) are
enqueued at once, so the workers write the customer's vault concurrently (only the vault's S3 lock
objects serialise them; every worker has its own KUSTOS_HOME, so no local file lock is shared).

Then, after each of two rounds: every fakecloud file is in its plan's latest snapshot with fakecloud's
sha256 (`kustos backup ls --json`), nothing is listed twice, the snapshot rows are exactly the vault's
snapshots, `kustos vault verify` is clean and every job succeeded."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from tests.integration.backup.test_backup_crash import kustos

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3]

TENANT = "kustos-scale.onmicrosoft.com"
USERS = [f"user{i}@{TENANT}" for i in range(6)]
SOURCES = 3  # each backs up two of the users
WORKERS = 3

ENQUEUE = """
import django, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()
from django.db import transaction
from kustos.backup.models import BackupPlan
from kustos.backup.services import plans
from kustos.jobs import services
services.set_inline(False)
ids = []
with transaction.atomic():  # all enqueued together when the transaction commits
    for source in sys.argv[1:]:
        ids.append(plans.run_now(BackupPlan.objects.get(source_id=source), actor="test").id)
print(json.dumps(ids))
"""

VAULT_SNAPSHOTS = """
import django, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()
from kustos.core import runtime
print(json.dumps(sorted(runtime.vault().store(sys.argv[1]).snapshots.ids())))
"""


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def script(env: dict, code: str, *args: str):
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def out(env: dict, *args: str, stdin: str | None = None):
    return json.loads(kustos(env, *args, "--json", stdin=stdin).stdout)


def seed(control, round_no: int) -> None:
    """Per user: 40 own files in /Docs, 8 files in /Shared whose bytes every user has (deduplicated
    content written by several workers at once), a 3 MiB file of the same content for all; round 2
    rewrites every fifth file, adds new ones and removes some; round 3 changes one file each."""
    for u, user in enumerate(USERS):
        if round_no == 1:
            for i in range(40):
                control.seed("ms", TENANT, user, "file", f"/Docs/f{i:03d}.txt", f"{user} file {i}\n".encode() * (i + 3))
            for i in range(8):
                control.seed("ms", TENANT, user, "file", f"/Shared/s{i}.txt", f"shared {i}\n".encode() * 200)
            control.seed("ms", TENANT, user, "file", "/Shared/big.bin", b"", {"size": 3 << 20, "seed": "shared-big"})
        elif round_no == 3:
            control.seed("ms", TENANT, user, "file", "/Docs/f039.txt", f"{user} third round\n".encode())
        else:
            for i in range(0, 40, 5):
                control.seed("ms", TENANT, user, "file", f"/Docs/f{i:03d}.txt", f"{user} changed {i}\n".encode() * 50)
            for i in range(5):
                control.seed("ms", TENANT, user, "file", f"/New/n{i}.txt", f"{user} new {i}\n".encode())
            for i in (1, 2):
                control.remove("ms", TENANT, user, "file", f"/Docs/f{i + u:03d}.txt")


def walk(env: dict, snapshot: str, account: str, path: str = "") -> Iterator[dict]:
    args = ["backup", "ls", snapshot, "--account", account] + (["--path", path] if path else [])
    for row in out(env, *args):
        if row["kind"] == "folder":
            yield from walk(env, snapshot, account, row["path"])
        else:
            yield row


def snapshot_files(env: dict, snapshot: str) -> dict[str, dict[str, str]]:
    """account -> {path: sha256} of every file in the snapshot; fails on an entry listed twice."""
    got: dict[str, dict[str, str]] = {}
    accounts = [row["account"] for row in out(env, "backup", "ls", snapshot)]
    assert len(accounts) == len(set(accounts)), accounts
    for account in accounts:
        files: dict[str, str] = {}
        for row in walk(env, snapshot, account):
            key = row["path"].strip("/")
            assert key not in files, f"{account}/{key} listed twice in snapshot {snapshot}"
            files[key] = row["sha256"]
        got[account] = files
    return got


def wait_for_jobs(env: dict, ids: list[str], seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    while True:
        rows = {r["id"]: r for r in out(env, "jobs", "list")}
        mine = [rows[i] for i in ids]
        if all(r["state"] in ("succeeded", "failed") for r in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(2)


def overlapping(rows: list[dict]) -> int:
    spans = sorted((datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["finished_at"])) for r in rows)
    return sum(1 for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1])


def test_three_workers_back_up_one_tenant_on_postgres_redis_and_s3(fakecloud, tmp_path: Path, postgres_db: str,
                                                                   redis_url: str, s3_server, s3_bucket):
    control = fakecloud.control
    control.call("reset")
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # shared settings win below
    shared = {"KUSTOS_DATABASE_URL": postgres_db, "KUSTOS_REDIS_URL": redis_url.rsplit("/", 1)[0] + "/7",
              "KUSTOS_VAULT_URL": f"s3://{s3_bucket}/vault", "KUSTOS_S3_ENDPOINT_URL": s3_server["endpoint_url"],
              "KUSTOS_S3_ACCESS_KEY": s3_server["access_key"], "KUSTOS_S3_SECRET_KEY": s3_server["secret_key"],
              "KUSTOS_S3_REGION": s3_server["region"], "KUSTOS_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
              "KUSTOS_SECRET_KEY": "scale-test-" + os.urandom(16).hex(), "KUSTOS_JOB_HEARTBEAT_INTERVAL": "2"}
    subprocess.run(["redis-cli", "-u", shared["KUSTOS_REDIS_URL"], "flushdb"], capture_output=True, check=True)
    env = {**base, **shared, "KUSTOS_HOME": str(tmp_path / "control")}
    seed(control, 1)

    settings = control.credentials("ms", TENANT)
    partner = out(env, "partner", "create", "Scale")["id"]
    customer = out(env, "customer", "create", "--partner", partner, "Scale Kunde")["id"]
    sources, users_of = [], {}
    for _ in range(SOURCES):
        source = out(env, "source", "add", "graph", "--customer", customer, "--tenant-id", settings["tenant_id"],
                     "--client-id", settings["client_id"], "--client-secret-stdin", "--endpoint",
                     settings["endpoint"], stdin=settings["client_secret"] + "\n")["id"]
        sources.append(source)
    scopes = out(env, "source", "scopes", sources[0])["scopes"]
    by_name = {s["name"]: s["id"] for s in scopes}
    assert set(USERS) <= set(by_name), scopes
    for n, source in enumerate(sources):
        users_of[source] = USERS[2 * n:2 * n + 2]
        out(env, "backup", "enable", "--source", source, "--services", "onedrive", "--scope",
            *[by_name[u] for u in users_of[source]])

    workers = [subprocess.Popen([sys.executable, "-m", "kustos.cli", "worker", "--workers", "1"],
                                env={**base, **shared, "KUSTOS_HOME": str(tmp_path / f"worker{w}")},
                                stdout=subprocess.DEVNULL, stderr=(tmp_path / f"worker{w}.log").open("w"))
               for w in range(WORKERS)]
    all_jobs: list[list[dict]] = []
    try:
        counts = dict.fromkeys(sources, 0)
        # round 3 also starts the first plan twice at once (as two "back up now" clicks would)
        for round_no, batch in ((1, sources), (2, sources), (3, [sources[0], *sources])):
            if round_no > 1:
                seed(control, round_no)
            ids = script(env, ENQUEUE, *batch)
            rows = wait_for_jobs(env, ids, 600)
            logs = "".join((tmp_path / f"worker{w}.log").read_text()[-3000:] for w in range(WORKERS))
            assert [r["state"] for r in rows] == ["succeeded"] * len(batch), (rows, logs)
            assert all(r["result"]["failed"] == [] and r["result"]["complete"] for r in rows), rows
            all_jobs.append(rows)
            for source in batch:
                counts[source] += 1
            print(f"round {round_no}: workers {sorted({r['worker'] for r in rows})}, "
                  f"{overlapping(rows)} overlapping runs")
            check_tenant(env, control, customer, sources, users_of, counts)
        # every job of the installation (the runs and whatever they started, e.g. search indexing) succeeded
        everything = wait_for_jobs(env, [r["id"] for r in out(env, "jobs", "list")], 300)
        assert [(r["kind"], r["state"], r["error"]) for r in everything if r["state"] != "succeeded"] == []
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # the runs were spread over the worker processes and ran at the same time
    pids = {r["worker"].split("/")[0] for rows in all_jobs for r in rows}
    assert len(pids) >= 2, pids
    assert sum(overlapping(rows) for rows in all_jobs) >= 1, all_jobs


def check_tenant(env: dict, control, customer: str, sources: list[str], users_of: dict[str, list[str]],
                 counts: dict[str, int]) -> None:
    rows = []
    for source in sources:
        snaps = out(env, "backup", "snapshots", "--source", source)
        assert len(snaps) == counts[source] and all(s["complete"] for s in snaps), snaps
        rows.extend(s["id"] for s in snaps)
        latest = max(snaps, key=lambda s: s["time"])
        got = snapshot_files(env, latest["id"])
        assert len(got) == len(users_of[source]), got.keys()
        for user in users_of[source]:
            want = {r["path"].strip("/"): r["sha256"] for r in control.items("ms", TENANT, "file", user)}
            matches = [files for files in got.values() if files == want]
            assert len(matches) == 1, (user, {a: len(f) for a, f in got.items()}, len(want),
                                       {a: sorted(set(f.items()) ^ set(want.items()))[:5] for a, f in got.items()})
        assert sum(len(f) for f in got.values()) == sum(len(control.items("ms", TENANT, "file", u))
                                                      for u in users_of[source])
    assert sorted(rows) == script(env, VAULT_SNAPSHOTS, customer)
    verify = kustos(env, "vault", "verify", "--json", check=False)
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["ok"] is True and not report["damaged"] and not report["missing"], (
        verify.stdout + verify.stderr)
