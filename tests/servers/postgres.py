"""A private PostgreSQL cluster on 127.0.0.1 for tests: pytest plugin module.

``postgres_dsn`` (session): ``KUSTOS_TEST_DATABASE_URL`` when set, otherwise a throw-away
cluster made with initdb/pg_ctl in a temp dir (as the ``postgres`` user when we are root,
because initdb refuses root), trust auth, a free port, fsync off; stopped and deleted at
session end. Skips with a reason when no PostgreSQL binaries are installed.
``postgres_db`` (function): the DSN of a fresh, empty database, dropped afterwards.

Use by listing ``tests.servers.postgres`` in the root conftest's ``pytest_plugins`` or by
importing both fixtures into a conftest.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ENV = "KUSTOS_TEST_DATABASE_URL"


class PostgresStartError(RuntimeError):
    def __init__(self, step: str, output: str) -> None:
        super().__init__(f"private PostgreSQL: {step} failed:\n{output[-2000:]}")


def find_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin dir, or the one holding ``initdb`` on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(cmd: list[str], step: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PostgresStartError(step, done.stdout + done.stderr)


class PrivateCluster:
    """initdb + pg_ctl start in ``root``; ``stop()`` shuts it down and removes the files."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="kustos-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        sudo = _as_postgres()
        _run([*sudo, str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
              "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], "initdb")
        options = f"-p {self.port} -h 127.0.0.1 -k {self.root} -F -c full_page_writes=off"
        _run([*sudo, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
              "-o", options, "-w", "-t", "60", "start"], "pg_ctl start")

    def stop(self) -> None:
        subprocess.run([*_as_postgres(), str(self.bin_dir / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """DSN of a PostgreSQL server for this session (superuser, database ``postgres``)."""
    url = os.environ.get(ENV)
    if url:
        yield url
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL binaries (initdb) found and {ENV} not set")
    if os.geteuid() == 0 and not _user_exists("postgres"):
        pytest.skip("running as root and no 'postgres' user to run initdb as")
    cluster = PrivateCluster(bin_dir)
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """DSN of a new empty database on the server of ``dsn``, dropped on exit
    (for fixtures of wider scope than ``postgres_db``)."""
    name = "kustos_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_db(postgres_dsn: str) -> Iterator[str]:
    """DSN of a new empty database, dropped when the test ends."""
    with fresh_database(postgres_dsn) as dsn:
        yield dsn
