"""Benchmark: the read-only Kustos IMAP server against Dovecot serving the same Maildir, same run.

N messages of the shared bulk corpus (``bulk_corpus``) are archived into a fresh KUSTOS_HOME,
all in the INBOX of one mailbox owned by one end user. The archived bytes (read back from the
vault) are written as a Maildir that a private Dovecot (``tests/servers/dovecot.py``: own
config, loopback ports, the system Dovecot is never touched) serves to one user. ``kustos imapd``
runs as its own process on loopback. Then against each server:

* a full ``mbsync`` pull (isync) into a fresh local Maildir, and
* one ``imaplib`` pass: ``SELECT INBOX`` + ``UID FETCH 1:* BODY.PEEK[]``.

Measured per server: wall seconds, msg/s, MB/s (message bytes / wall), and the peak RSS and PSS
of the server's process tree (Dovecot: master, login, auth and imap processes; Kustos: the
``kustos imapd`` process), sampled every 0.1 s. Every synced message is compared byte for byte
with the vault after the normalisation the mbsync test states (mbsync adds one ``X-TUID:``
header line and stores LF line ends; imaplib receives the wire form, so both sides are compared
with CRLF turned into LF). The last line printed is one JSON object::

    {"messages", "mb", "kustos": {"mbsync": {...}, "imaplib": {...}}, "dovecot": {...}, "ratios": {...}}

Usage: ``python bench/imap_sync.py [--messages N] [--workdir DIR] [--keep]``. Without the shared
corpus, mbsync or dovecot it prints ``{"skipped": REASON}`` and exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import imaplib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bulk_corpus  # bench/ is the script's directory, so these are importable
from memory import TreeMemory

REPO = Path(__file__).resolve().parents[1]
MAILBOX = "bench@bench.test"
PASSWORD = "Bench-imap-sync-2026!"
MASTER_KEY = "b" * 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def normalised_sha(data: bytes) -> str:
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


# --- the archive (runs in a child process with its own KUSTOS_HOME) ------------------

def kustos_env(home: Path) -> dict[str, str]:
    return {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_MASTER_KEY": MASTER_KEY,
            "DJANGO_SETTINGS_MODULE": "kustos.django_settings", "PYTHONPATH": str(REPO / "src")}


def archive_worker(count: int, out: Path) -> None:
    """Archive the first ``count`` corpus messages into one mailbox's INBOX; write the vault's bytes
    of every message in the folder to ``out`` (one file each) for the Maildir and the comparison."""
    sys.path.insert(0, str(REPO / "src"))
    import django  # noqa: PLC0415  (the worker configures Django for itself)

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from kustos.accounts.services import users  # noqa: PLC0415
    from kustos.archive.models import MessageRef  # noqa: PLC0415
    from kustos.archive.pipeline.contract import Incoming  # noqa: PLC0415
    from kustos.archive.services import messages  # noqa: PLC0415
    from kustos.archive.services.ingest import Ingestor  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    customer = customers.create(partners.create("Bench"), "Bench customer")
    users.create(MAILBOX, "end_user", password=PASSWORD, customer=customer, mailboxes=[MAILBOX])
    started = time.perf_counter()
    batch: list[Incoming] = []
    imported = 0
    with Ingestor(customer, workers=1, batch_size=200).session() as ingestor:
        for _, _, data in bulk_corpus.messages(count):
            batch.append(Incoming(raw=data, mailbox=MAILBOX, folders=["INBOX"], source="bench"))
            if len(batch) >= 200:
                imported = ingestor.ingest(batch).imported  # the session's running total
                batch = []
        if batch:
            imported = ingestor.ingest(batch).imported
    seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    refs = MessageRef.objects.filter(message__customer=customer, folder__path="INBOX").select_related("message")
    written = 0
    for ref in refs.order_by("id").iterator(chunk_size=500):
        (out / f"{written:06d}.eml").write_bytes(messages.raw(ref.message))
        written += 1
    print(json.dumps({"imported": imported, "in_folder": written, "archive_s": seconds}))


# --- measuring ----------------------------------------------------------------------

def without_tuid(data: bytes) -> bytes:
    """mbsync appends one ``X-TUID:`` line to the header of every message it copies; remove it."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    if len([line for line in lines if line.startswith(b"X-TUID: ")]) != 1:
        raise RuntimeError("mbsync did not mark a message with exactly one X-TUID line")
    return b"\n".join(line for line in lines if not line.startswith(b"X-TUID: ")) + sep + body


def run_mbsync(work: Path, name: str, port: int, user: str, password: str) -> tuple[float, list[bytes]]:
    """A full pull of every folder into a fresh Maildir: (seconds, message bytes without X-TUID)."""
    home = work / f"mbsync-{name}"
    shutil.rmtree(home, ignore_errors=True)
    maildir = home / "Mail"
    maildir.mkdir(parents=True)
    config = home / "mbsyncrc"
    config.write_text(f"""IMAPAccount bench
Host 127.0.0.1
Port {port}
User {user}
Pass "{password}"
SSLType None
AuthMechs LOGIN

IMAPStore bench-far
Account bench

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")
    config.chmod(0o600)
    started = time.perf_counter()
    proc = subprocess.run(["mbsync", "-c", str(config), "-a"], capture_output=True, text=True, timeout=3600,
                          env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"mbsync against {name} failed: {(proc.stdout + proc.stderr)[-2000:]}")
    got = [without_tuid(p.read_bytes()) for sub in ("cur", "new") for p in maildir.rglob(f"{sub}/*") if p.is_file()]
    return seconds, got


def run_imaplib(port: int, user: str, password: str) -> tuple[float, list[bytes]]:
    """One connection: LOGIN, SELECT INBOX, UID FETCH 1:* BODY.PEEK[] (seconds from connect to logout)."""
    started = time.perf_counter()
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=600)
    imap.login(user, password)
    typ, _ = imap.select("INBOX", readonly=True)
    if typ != "OK":
        raise RuntimeError(f"SELECT INBOX answered {typ}")
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
    if typ != "OK":
        raise RuntimeError(f"UID FETCH answered {typ}")
    imap.logout()
    seconds = time.perf_counter() - started
    return seconds, [item[1] for item in data if isinstance(item, tuple)]


def compare(got: list[bytes], want: dict[str, int]) -> dict[str, int]:
    """How many synced messages equal an archived one (as a multiset), and how many are missing/extra."""
    left = dict(want)
    identical = extra = 0
    for data in got:
        digest = normalised_sha(data)
        if left.get(digest, 0) > 0:
            left[digest] -= 1
            identical += 1
        else:
            extra += 1
    return {"identical": identical, "missing": sum(left.values()), "extra": extra}


def measure(work: Path, name: str, pid: int, port: int, user: str, password: str, want: dict[str, int],
            total_bytes: int) -> dict[str, Any]:
    count = sum(want.values())
    out: dict[str, Any] = {}
    for label, run in (("mbsync", lambda: run_mbsync(work, name, port, user, password)),
                       ("imaplib", lambda: run_imaplib(port, user, password))):
        with TreeMemory(pid) as memory:
            seconds, got = run()
        out[label] = {"wall_s": round(seconds, 2), "msg_s": round(count / seconds, 1),
                      "mb_s": round(total_bytes / 1e6 / seconds, 2),
                      "peak_rss_mb": round(memory.peak_rss_kb / 1024, 1),
                      "peak_pss_mb": round(memory.peak_kb / 1024, 1), **compare(got, want)}
    return out


# --- the servers ------------------------------------------------------------------------

def start_kustos(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("kustos")), "imapd", "--host", "127.0.0.1",
                                "--port", str(port)], env=kustos_env(home), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_port(port, process)
    return process, port


def start_dovecot(root: Path, files: list[Path]) -> Any:
    sys.path.insert(0, str(REPO))
    from tests.servers.dovecot import start_dovecot as start  # noqa: PLC0415  (the tests' private Dovecot)

    server = start(root)
    server.add_user(MAILBOX, PASSWORD)
    for path in files:
        server.deliver(MAILBOX, "INBOX", path.read_bytes(), seen=True)
    return server


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def skip_reason() -> str | None:
    if not bulk_corpus.available():
        return "shared corpus absent"
    if shutil.which("mbsync") is None:
        return "isync (mbsync) is not installed"
    if shutil.which("dovecot") is None and not os.path.exists("/usr/sbin/dovecot"):
        return "dovecot is not installed"
    return None


def table(results: dict[str, Any], ratios: dict[str, Any]) -> str:
    keys = ["wall_s", "msg_s", "mb_s", "peak_rss_mb", "peak_pss_mb", "identical", "missing", "extra"]
    lines = [f"{'':24}" + "".join(f"{k:>12}" for k in keys)]
    for server in ("kustos", "dovecot"):
        for label, row in results[server].items():
            lines.append(f"{server + ' ' + label:24}" + "".join(f"{row[k]:>12}" for k in keys))
    for label, row in ratios.items():
        lines.append(f"{'kustos/dovecot ' + label:24}" + "".join(f"{row.get(k, ''):>12}" for k in keys))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="how many corpus messages (default 5000)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("COUNT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        archive_worker(int(args.worker[0]), Path(args.worker[1]))
        return
    if args.messages < 1:
        parser.error(f"--messages must be at least 1, got {args.messages}")
    reason = skip_reason()
    if reason:
        print(json.dumps({"skipped": reason}))
        return
    # Dovecot's unprivileged processes must traverse into the work dir (mkdtemp makes it 0700).
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kustos-bench-imap-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    processes: list[Any] = []
    try:
        home, vault_dir = work / "kustos-home", work / "vault-bytes"
        home.mkdir()
        proc = subprocess.run([sys.executable, __file__, "--worker", str(args.messages), str(vault_dir)],
                              env=kustos_env(home), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"archiving failed: {proc.stderr[-2000:]}")
        archived = json.loads(proc.stdout.strip().splitlines()[-1])
        files = sorted(vault_dir.iterdir())
        want: dict[str, int] = {}
        total_bytes = 0
        for path in files:
            data = path.read_bytes()
            total_bytes += len(data)
            digest = normalised_sha(data)
            want[digest] = want.get(digest, 0) + 1
        print(f"{len(files)} messages in the folder ({archived['imported']} archived of {args.messages} read, "
              f"{archived['archive_s']:.1f} s), {total_bytes / 1e6:.1f} MB", file=sys.stderr)
        dovecot = start_dovecot(work / "dovecot", files)
        processes.append(dovecot)
        kustos, kustos_port = start_kustos(home)
        processes.append(kustos)
        # The anchor first, so Kustos does not profit from a page cache the anchor paid for.
        results = {"dovecot": measure(work, "dovecot", dovecot.process.pid, dovecot.imap_port, MAILBOX, PASSWORD,
                                      want, total_bytes),
                   "kustos": measure(work, "kustos", kustos.pid, kustos_port, MAILBOX, PASSWORD, want, total_bytes)}
        ratios = {label: {k: round(results["kustos"][label][k] / results["dovecot"][label][k], 2)
                          for k in ("wall_s", "msg_s", "mb_s", "peak_rss_mb", "peak_pss_mb")
                          if results["dovecot"][label][k]}
                  for label in ("mbsync", "imaplib")}
        print(table(results, ratios), file=sys.stderr)
        print(json.dumps({"messages": len(files), "mb": round(total_bytes / 1e6, 2), **results, "ratios": ratios}))
        broken = [f"{server} {label}" for server in ("kustos", "dovecot") for label, row in results[server].items()
                  if row["missing"] or row["extra"]]
        if broken:
            raise SystemExit(f"not byte-identical to the vault: {', '.join(broken)}")
    finally:
        for process in reversed(processes):
            stop(process) if isinstance(process, subprocess.Popen) else process.stop()
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
