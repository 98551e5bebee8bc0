"""The scale-out layout of the README on one machine, killed mid-run, loses nothing.

PostgreSQL, a private Redis and a real S3 server process (moto); two `kustos serve --no-smtp --no-scheduler`, three
`kustos worker`, one `kustos scheduler` and two `kustos smtpd`, all real processes on one shared
environment (the search index in PostgreSQL). While SMTP load goes to both receivers, two IMAP
sources on Dovecot run on their one-minute schedule and an MBOX import runs, one worker is SIGKILLed
while it holds the import job and one receiver is SIGKILLed mid-stream (and started again, as its
systemd unit does). Afterwards every message a receiver acknowledged with 250 is archived exactly
once, so is every import and IMAP message, the killed import was reaped and finished by another
worker, no job is left unfinished, `kustos vault verify` is clean and the search finds every message.

Runs in the PostgreSQL leg of CI (.ci/run); it needs a PostgreSQL server named by
KUSTOS_TEST_DATABASE_URL and skips without one.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kustos.search.backends.postgres_schema import TABLE as SEARCH_TABLE
from tests.servers.dovecot import Dovecot
from tests.servers.postgres import fresh_database
from tests.servers.tls import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3, pytest.mark.dovecot,
              pytest.mark.skipif(not os.environ.get("KUSTOS_TEST_DATABASE_URL"),
                                 reason="the cluster test runs in the PostgreSQL leg of CI "
                                        "(set KUSTOS_TEST_DATABASE_URL)")]

HERE = Path(__file__).resolve().parent
SMTP_MESSAGES = 300
SENDERS = 4
PACE = 0.5  # seconds between two messages of one sender: the load lasts while the kills and the scheduled runs happen
IMPORT_MESSAGES = 3000
IMAP_FIRST, IMAP_LATER = 25, 10
IMAP_USERS = {"anna": "anna-pw-7", "ben": "ben-pw-7"}
TOKEN_WORD = "clusterprobe"  # in every message body: the search must find each one
HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT = 2, 12


def body_text(tag: str, n: int) -> str:
    return f"{TOKEN_WORD} {tag} number {n}\r\n" + f"line {n} of the {tag} test mail\r\n" * (1 + n % 30)


def mail(tag: str, n: int) -> bytes:
    return (f"From: {tag}{n % 7}@contoso.example\r\nTo: staff{n % 11}@kunde.example\r\n"
            f"Subject: {tag} {n}\r\nDate: Mon, 2 Nov 2026 10:{n % 60:02d}:00 +0100\r\n"
            f"Message-ID: <{tag}-{n}@cluster.example>\r\n\r\n{body_text(tag, n)}").encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- processes ---------------------------------------------------------------------------------

class Proc:
    """One `kustos` process of the cluster; its output goes to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, logs / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []
        self.killed = False  # by the test, on purpose

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "kustos.cli", *self.argv], env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT)
        self.pids.append(self.popen.pid)
        self.killed = False
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)
        self.killed = True

    def stop(self) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(not started)"
        return f"--- {self.name} ---\n{text[-3000:]}"


def wait_listening(port: int, procs: list[Proc], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            dead = [p for p in procs if p.popen is not None and not p.killed and not p.alive()]
            assert not dead, "\n".join(p.tail() for p in dead)
            time.sleep(0.2)
    pytest.fail(f"nothing listens on port {port}:\n" + "\n".join(p.tail() for p in procs))


def kustos(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def admin(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "cluster_admin.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def api(port: int, token: str, path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


# --- SMTP load ---------------------------------------------------------------------------------

class Sender(threading.Thread):
    """Sends the messages it takes from a shared counter to its preferred receiver; when that one fails
    (refused, reset, no 250) it tries the other one, as a sending MTA tries the next MX."""

    def __init__(self, index: int, ports: list[int], rcpt: str, shared: dict[str, Any]) -> None:
        super().__init__(daemon=True, name=f"sender-{index}")
        self.ports = ports[index % 2:] + ports[:index % 2]
        self.rcpt, self.shared = rcpt, shared
        self.error = ""

    def take(self) -> int | None:
        with self.shared["lock"]:
            n = self.shared["next"]
            if n >= SMTP_MESSAGES:
                return None
            self.shared["next"] = n + 1
            return n

    def run(self) -> None:
        deadline = time.monotonic() + 300
        clients: dict[int, smtplib.SMTP] = {}
        while (n := self.take()) is not None:
            attempt = 0
            while True:
                if time.monotonic() > deadline:
                    self.error = f"gave up on message {n}"
                    return
                port = self.ports[attempt % 2]
                attempt += 1
                try:
                    if port not in clients:
                        clients[port] = smtplib.SMTP("127.0.0.1", port, timeout=15)
                    clients[port].sendmail(f"journal@{self.rcpt.split('@')[1]}", [self.rcpt], mail("smtp", n))
                except (smtplib.SMTPException, OSError):
                    client = clients.pop(port, None)
                    if client is not None:
                        try:
                            client.close()
                        except OSError:
                            pass
                    with self.shared["lock"]:
                        self.shared["retried"].add(n)
                    time.sleep(0.05)
                    continue
                with self.shared["lock"]:
                    self.shared["acked"][n] = port
                break
            time.sleep(PACE)
        for client in clients.values():
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass


# --- the database, read directly ---------------------------------------------------------------

def rows(dsn: str, sql: str, *params: Any) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def job(dsn: str, job_id: str) -> dict:
    (row,) = rows(dsn, "SELECT state, worker, attempts, error, result FROM jobs_job WHERE id = %s", job_id)
    return dict(zip(("state", "worker", "attempts", "error", "result"), row, strict=True))


def worker_pid(worker: str) -> int | None:
    """The pid in a job's ``host:pid/thread``."""
    host_pid = worker.split("/", 1)[0]
    pid = host_pid.rpartition(":")[2]
    return int(pid) if pid.isdigit() else None


def imported(dsn: str, customer: str) -> int:
    (count,), = rows(dsn, "SELECT count(*) FROM archive_message WHERE customer_id = %s AND message_id LIKE %s",
                     customer, "<import-%")
    return count


def spool_pending(home: Path) -> int:
    spool = home / "spool"
    return sum(1 for d in ("new", "work", "tmp") for p in (spool / d).rglob("*") if p.is_file())


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def cluster_db(postgres_dsn: str) -> Iterator[str]:
    with fresh_database(postgres_dsn) as dsn:
        yield dsn


@pytest.fixture
def env(tmp_path: Path, cluster_db: str, redis_url: str, s3_server: dict, s3_bucket: str) -> dict[str, str]:
    """One environment for every process, as /etc/kustos/kustos.env is in deploy/."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE" and k != "KUSTOS_REDIS_URL"}
    env.update(
        KUSTOS_HOME=str(tmp_path / "home"),
        KUSTOS_DATABASE_URL=cluster_db,
        KUSTOS_REDIS_URL=redis_url,  # a private Redis: no other test's worker takes these jobs
        KUSTOS_VAULT_URL=f"s3://{s3_bucket}/vault",
        KUSTOS_S3_ENDPOINT_URL=s3_server["endpoint_url"],
        KUSTOS_S3_REGION=s3_server["region"],
        KUSTOS_S3_ACCESS_KEY=s3_server["access_key"],
        KUSTOS_S3_SECRET_KEY=s3_server["secret_key"],
        KUSTOS_SEARCH_BACKEND="postgres",
        KUSTOS_SECRET_KEY="cluster-test-" + "k" * 40,
        KUSTOS_SMTP_DOMAIN="journal.cluster.example",
        KUSTOS_REQUIRE_2FA_FOR_ADMINS="0",
        KUSTOS_WORKERS="2",
        KUSTOS_JOB_HEARTBEAT_INTERVAL=str(HEARTBEAT_INTERVAL),
        KUSTOS_JOB_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT),
        PYTHONUNBUFFERED="1",
    )
    return env


# --- the test ----------------------------------------------------------------------------------

def test_cluster_survives_a_killed_worker_and_receiver(tmp_path: Path, env: dict[str, str], dovecot: Dovecot) -> None:
    dsn = env["KUSTOS_DATABASE_URL"]
    home = Path(env["KUSTOS_HOME"])
    logs = tmp_path / "logs"
    logs.mkdir()
    migrated = kustos(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    ids = admin(env, "setup")
    customer, token, rcpt = ids["customer"], ids["token"], ids["journal"]

    imap_sent: dict[str, list[bytes]] = {user: [] for user in IMAP_USERS}
    for user, password in IMAP_USERS.items():
        dovecot.add_user(user, password)
        for n in range(IMAP_FIRST):
            data = mail(f"imap-{user}", n)
            dovecot.deliver(user, "INBOX", data)
            imap_sent[user].append(data)
    mbox = tmp_path / "cluster.mbox"
    import_ids = []
    with mbox.open("wb") as fh:
        for n in range(IMPORT_MESSAGES):
            fh.write(b"From import@contoso.example Mon Nov  2 10:00:00 2026\n")
            fh.write(mail("import", n).replace(b"\r\n", b"\n") + b"\n")
            import_ids.append(f"<import-{n}@cluster.example>")

    web_ports, smtp_ports = [free_port(), free_port()], [free_port(), free_port()]
    workers = [Proc(f"worker-{i}", ["worker", "--workers", "2"], env, logs) for i in (1, 2, 3)]
    webs = [Proc(f"web-{i}", ["serve", "--no-smtp", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)], env, logs)
            for i, port in enumerate(web_ports, start=1)]
    scheduler = Proc("scheduler", ["scheduler"], env, logs)
    smtpds = [Proc(f"smtpd-{i}", ["smtpd", "--host", "127.0.0.1", "--port", str(port)], env, logs)
              for i, port in enumerate(smtp_ports, start=1)]
    everything = [*workers, *webs, scheduler, *smtpds]
    shared: dict[str, Any] = {"lock": threading.Lock(), "next": 0, "acked": {}, "retried": set()}
    senders = [Sender(i, smtp_ports, rcpt, shared) for i in range(SENDERS)]

    def acked() -> int:
        with shared["lock"]:
            return len(shared["acked"])

    try:
        # Workers and receivers first (a receiver runs no jobs): the import, queued as an upload's
        # completion queues it, is taken by a worker and not by a web process's or the scheduler's
        # consumer. The SMTP load starts once a worker holds the import.
        for proc in [*workers, *smtpds]:
            proc.start()
        for port in smtp_ports:
            wait_listening(port, everything)
        import_job = admin(env, "import", customer, "archive@kunde.example", str(mbox))["job"]
        deadline = time.monotonic() + 120
        while (held := job(dsn, import_job))["state"] != "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert held["state"] == "running", (held, "\n".join(p.tail() for p in workers))
        victim = next(p for p in workers if p.pid == worker_pid(held["worker"]))
        for sender in senders:
            sender.start()
        while imported(dsn, customer) < IMPORT_MESSAGES // 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job(dsn, import_job)["state"] == "running", "the import ended before the worker could be killed"
        assert any(s.is_alive() for s in senders), "the SMTP load ended before the worker was killed"
        victim.kill()  # mid-import: part of the file is archived, the rest is not

        for proc in [*webs, scheduler]:
            proc.start()
        for port in web_ports:
            wait_listening(port, everything)
        sources = [api(web_ports[i % 2], token, f"/customers/{customer}/sources",
                       {"kind": "imap", "name": f"IMAP {user}", "interval_minutes": 1, "secret": password,
                        "config": {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "none",
                                   "username": user}})["id"]
                   for i, (user, password) in enumerate(IMAP_USERS.items())]

        while acked() < SMTP_MESSAGES // 2 and any(s.is_alive() for s in senders):
            time.sleep(0.005)
        assert any(s.is_alive() for s in senders)
        smtpds[0].kill()  # mid-stream: its senders go to the other receiver
        time.sleep(1.0)
        smtpds[0].start()  # as systemd's Restart=always does: it puts back what it had claimed
        wait_listening(smtp_ports[0], everything)

        later_at = time.time()
        for user in IMAP_USERS:  # new mail for the next scheduled runs
            for n in range(IMAP_FIRST, IMAP_FIRST + IMAP_LATER):
                data = mail(f"imap-{user}", n)
                dovecot.deliver(user, "INBOX", data)
                imap_sent[user].append(data)
        for sender in senders:
            sender.join(300)
        assert not [s.error for s in senders if s.error]
        assert sorted(shared["acked"]) == list(range(SMTP_MESSAGES))

        expected_total = SMTP_MESSAGES + IMPORT_MESSAGES + len(IMAP_USERS) * (IMAP_FIRST + IMAP_LATER)
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            (count,), = rows(dsn, "SELECT count(*) FROM archive_message WHERE customer_id = %s", customer)
            open_jobs = rows(dsn, "SELECT count(*) FROM jobs_job WHERE state IN ('queued', 'running', 'retrying')")
            fresh_runs = rows(dsn, "SELECT count(DISTINCT params->>'source') FROM jobs_job WHERE kind = 'source.run' "
                                   "AND state = 'succeeded' AND started_at > to_timestamp(%s)", later_at)
            if (count == expected_total and open_jobs == [(0,)] and fresh_runs == [(len(sources),)]
                    and spool_pending(home) == 0 and job(dsn, import_job)["state"] == "succeeded"):
                break
            time.sleep(2)

        # The search, through the second web process, finds every message by a word of its body.
        found = api(web_ports[1], token, f"/customers/{customer}/archive/search?q={TOKEN_WORD}&limit=1")
    finally:
        for proc in everything:
            proc.stop()
    alive_logs = "\n".join(p.tail() for p in everything)

    # Every acknowledged SMTP message, every imported and every IMAP message: archived exactly once.
    archived = rows(dsn, "SELECT sha256, message_id, indexed FROM archive_message WHERE customer_id = %s", customer)
    by_sha: dict[str, int] = {}
    for digest, _mid, _indexed in archived:
        by_sha[digest] = by_sha.get(digest, 0) + 1
    smtp_missing = [n for n in range(SMTP_MESSAGES) if by_sha.get(sha(mail("smtp", n))) != 1]
    assert smtp_missing == [], (f"{len(smtp_missing)} acknowledged messages not archived exactly once "
                                f"(first {smtp_missing[:5]})\n{alive_logs}")
    for user, sent in imap_sent.items():
        assert [n for n, data in enumerate(sent) if by_sha.get(sha(data)) != 1] == [], user
    message_ids = [mid for _digest, mid, _indexed in archived]
    assert sorted(mid for mid in message_ids if mid.startswith("<import-")) == sorted(import_ids)
    assert len(message_ids) == len(set(message_ids)) == expected_total
    assert all(indexed for _digest, _mid, indexed in archived)
    refs = rows(dsn, "SELECT r.message_id, r.folder_id, count(*) FROM archive_messageref r JOIN archive_message m "
                     "ON m.id = r.message_id WHERE m.customer_id = %s GROUP BY 1, 2 HAVING count(*) > 1", customer)
    assert refs == []

    # The killed worker's import was reaped and finished by another worker; no job is left over.
    final = job(dsn, import_job)
    assert final["state"] == "succeeded" and final["attempts"] >= 2, final
    assert worker_pid(final["worker"]) in {p.pid for p in everything if p is not victim}
    result = final["result"]  # the retry read the whole file again: what the killed attempt archived is known
    assert result["imported"] + result["duplicates"] == IMPORT_MESSAGES and result["duplicates"] > 0, result
    assert result["quarantined"] == 0 and result["errors"] == [], result
    states = dict(rows(dsn, "SELECT state, count(*) FROM jobs_job GROUP BY state"))
    assert set(states) <= {"succeeded", "failed"}, states
    failed = rows(dsn, "SELECT kind, error FROM jobs_job WHERE state = 'failed'")
    assert failed == [], failed
    runs = dict(rows(dsn, "SELECT params->>'source', count(*) FROM jobs_job WHERE kind = 'source.run' "
                          "AND state = 'succeeded' GROUP BY 1"))
    assert set(runs) == set(sources), runs
    creators = rows(dsn, "SELECT DISTINCT created_by FROM jobs_job WHERE kind = 'source.run'")
    assert creators == [("scheduler",)]  # the IMAP sources ran on their schedule

    # The vault on S3 verifies clean, and the search index holds every message.
    verify = kustos(env, "vault", "verify", "--json")
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["ok"] is True, verify.stdout + verify.stderr
    assert found["total"] == expected_total
    indexed_ids = rows(dsn, f"SELECT id FROM {SEARCH_TABLE} WHERE customer = %s", customer)
    message_rows = rows(dsn, "SELECT id FROM archive_message WHERE customer_id = %s", customer)
    assert sorted(indexed_ids) == sorted(message_rows) and len(indexed_ids) == expected_total
    assert [p for p in (home / "index").rglob("*") if p.is_file()] == []  # no process kept a tantivy index
    everything_found = json.loads(kustos(env, "search", "--customer", customer, "--limit", "1", "--json").stdout)
    assert everything_found["total"] == expected_total
    print(f"\ncluster: {SMTP_MESSAGES} SMTP ({len(shared['retried'])} retried), {IMPORT_MESSAGES} imported "
          f"(attempts {final['attempts']}), {sum(len(s) for s in imap_sent.values())} over IMAP; "
          f"source runs {sorted(runs.values())}")
