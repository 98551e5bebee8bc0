"""Shared fixtures: corpus location, a private KUSTOS_HOME, server plugins, Django helpers."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import django
import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import InMemoryExampleDatabase

REPO = Path(__file__).resolve().parent.parent

# Tests are hermetic: settings of the shell (a developer's own KUSTOS_HOME, production flags)
# never reach them; only the addresses of the servers a CI leg provides pass through.
_PASS_THROUGH = {"KUSTOS_DATABASE_URL", "KUSTOS_REDIS_URL", "KUSTOS_TEST_DATABASE_URL", "KUSTOS_CORPUS",
                 "KUSTOS_TEST_ARTIFACTS", "KUSTOS_UPDATE_SCREENSHOTS"}
for _name in [n for n in os.environ if n.startswith("KUSTOS_") and n not in _PASS_THROUGH]:
    del os.environ[_name]

# Every test process gets its own KUSTOS_HOME and master key before Django reads its settings
# (this conftest configures Django itself; the settings module is not named in pytest's ini, so
# pytest-django cannot load it earlier against the default ./var of the checkout).
SESSION_HOME = tempfile.mkdtemp(prefix="kustos-test-home-")
atexit.register(shutil.rmtree, SESSION_HOME, ignore_errors=True)
os.environ["KUSTOS_HOME"] = SESSION_HOME
os.environ["KUSTOS_MASTER_KEY"] = os.urandom(32).hex()
# The test servers (Dovecot, fakecloud) listen on loopback: sources may reach loopback and nothing
# else private (tests/unit/sources_mail/test_egress.py proves the refusals with this allowance off).
os.environ["KUSTOS_SOURCES_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
# OCR after ingest is off unless a test switches it on (tests/integration/ocr/): archiving tests stay as fast
# as they were and start no extra jobs for their image attachments.
os.environ["KUSTOS_OCR"] = "off"
os.environ["DJANGO_SETTINGS_MODULE"] = "kustos.django_settings"
django.setup()
# The file mode mask of the test process as it started. Importing ``kustos.wsgi`` (``kustos.cli.server``
# does) sets 077 for the whole process, as a production server must; a test module that imports it
# must not make the Maildirs other tests deliver into unreadable to their private Dovecot.
_SESSION_UMASK = os.umask(0o022)
os.umask(_SESSION_UMASK)

# Hypothesis keeps its example database in memory and its caches (the unicode charmap) under
# the temp directory: by default it writes .hypothesis/ into the working directory, the checkout.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "kustos-hypothesis"))
hypothesis_settings.register_profile("kustos", database=InMemoryExampleDatabase())
hypothesis_settings.load_profile("kustos")

pytest_plugins = ["tests.servers.plugins"]


def corpus_root() -> Path | None:
    """The shared third-party corpus, or None when it is not beside the checkout."""
    path = Path(os.environ.get("KUSTOS_CORPUS", REPO.parent / "shared" / "corpus"))
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_root()
    if root is None:
        pytest.skip("shared corpus absent (set KUSTOS_CORPUS or put ../shared/corpus beside the checkout)")
    return root


@pytest.fixture(autouse=True, scope="session")
def _session_umask_at_start():
    os.umask(_SESSION_UMASK)  # before any module's servers start (imports ran at collection)


@pytest.fixture(autouse=True)
def _session_umask():
    os.umask(_SESSION_UMASK)
    yield
    os.umask(_SESSION_UMASK)  # before the next module's servers start


@pytest.fixture(autouse=True)
def _jobs_run_inline():
    """Jobs run synchronously in tests (huey immediate mode, in-memory queue)."""
    from huey.contrib.djhuey import HUEY  # noqa: PLC0415  (Django is configured by pytest-django first)

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `kustos` as a subprocess on a fresh home (and, when the suite
    runs on PostgreSQL, a fresh database of its own)."""
    env = {**os.environ, "KUSTOS_HOME": str(tmp_path / "home")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = os.environ.get("KUSTOS_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg  # noqa: PLC0415  (only needed on the PostgreSQL matrix)

        name = "kustos_cli_" + os.urandom(6).hex()
        base, _, _ = url.rpartition("/")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["KUSTOS_DATABASE_URL"] = f"{base}/{name}"
    return env


# --- the checkout stays clean --------------------------------------------------------------
# Tests write only into temp directories. The controller process notes what is at the top of
# the checkout when the session starts and fails the session if anything new appears there
# (a `var/` from a settings default, screenshots, exports ...).

def _top_level() -> set[str]:
    return {p.name for p in REPO.iterdir()}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_CHECKOUT_KEY] = _top_level()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):  # xdist worker: the controller checks
        return
    before = session.config.stash.get(_CHECKOUT_KEY, None)
    if before is None:
        return
    new = sorted(_top_level() - before)
    if new:
        print(f"\nERROR: tests wrote into the checkout: {', '.join(new)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_CHECKOUT_KEY = pytest.StashKey[set[str]]()
