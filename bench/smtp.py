"""Benchmark: the Kustos SMTP journaling receiver against Postfix under the same load.

K parallel senders (smtplib, one persistent connection each) deliver N messages
(real-sized journal mail, 2-40 KB) to

* the Kustos receiver as its own process (``python -m kustos.sources.smtp``), which
  answers 250 only after fsync + rename into its spool, and
* a private Postfix instance (own config_directory, queue_directory and loopback
  port; the system Postfix is never touched) delivering into a Maildir through the
  virtual(8) agent; Postfix also answers 250 only after its queue file is fsync'ed.

Reported per server: sustained accepted msg/s (N / wall time of the load) and the
p99 time from MAIL FROM to the 250 after DATA. For Postfix the time until all N
messages are in the Maildir is printed as well. The last line is one JSON object::

    {"kustos": {"msg_s", "p99_ms"}, "postfix": {"msg_s", "p99_ms"}}

Usage: ``python bench/smtp.py [--messages N] [--senders K] [--smoke] [--keep]``.
Without the postfix package the Postfix entry is null (with the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
JOURNAL = "journal-bench@archive.test"
POSTFIX_RCPT = "archive@bench.test"

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = bench.test
virtual_mailbox_base = {root}/vmail
virtual_mailbox_maps = static:archive/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
biff = no
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
message_size_limit = 52428800
virtual_mailbox_limit = 0
default_process_limit = 100
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def make_messages(count: int) -> list[bytes]:
    """Deterministic journal-like messages of 2-40 KB (headers + quoted text)."""
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    return [(
        f"From: user{n % 50}@contoso.example\r\nTo: team{n % 7}@contoso.example\r\n"
        f"Subject: bench message {n}\r\nMessage-ID: <bench-{n}@contoso.example>\r\n"
        f"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + line * (25 + (n * 37) % 480)
    ).encode() for n in range(count)]


def run_load(port: int, rcpt: str, messages: list[bytes], senders: int) -> dict[str, float]:
    """Send all messages over ``senders`` connections; per-message time to 250."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    position = iter(range(len(messages)))

    def sender() -> None:
        client = smtplib.SMTP("127.0.0.1", port, timeout=60)
        client.ehlo("bench.localdomain")
        mine: list[float] = []
        while True:
            with lock:
                n = next(position, None)
            if n is None:
                break
            started = time.perf_counter()
            try:
                client.sendmail("journal@contoso.example", [rcpt], messages[n])
            except smtplib.SMTPException as exc:
                with lock:
                    failures.append(f"{n}: {exc}")
                continue
            mine.append(time.perf_counter() - started)
        client.quit()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} messages refused, first: {failures[0]}")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    return {"msg_s": round(len(latencies) / wall, 1), "p99_ms": round(p99 * 1000, 2),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2), "wall_s": round(wall, 2)}


def bench_kustos(workdir: Path, messages: list[bytes], senders: int) -> dict[str, float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    process = subprocess.Popen(
        [sys.executable, "-m", "kustos.sources.smtp", "--spool", str(workdir / "kustos-spool"),
         "--port", str(port), "--journal", f"{JOURNAL}=bench"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        if not process.stdout.readline().startswith("listening"):
            raise RuntimeError("kustos receiver did not start")
        result = run_load(port, JOURNAL, messages, senders)
    finally:
        process.terminate()
        process.wait(10)
    spooled = len(os.listdir(workdir / "kustos-spool" / "new"))
    if spooled != len(messages):
        raise RuntimeError(f"kustos spooled {spooled} of {len(messages)} messages")
    return result


class PrivatePostfix:
    """A Postfix instance in its own directories, started with ``postfix -c DIR start``."""

    def __init__(self, root: Path) -> None:
        self.root, self.config = root, root / "etc"
        self.port = free_port()
        self.maildir = root / "vmail" / "archive" / "new"

    def start(self) -> None:
        nobody = pwd.getpwnam("nobody")
        for sub in ("etc", "queue", "data", "vmail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Postfix daemons run as "postfix"/"nobody" and must reach these directories.
        for directory in (self.root.parent, self.root):
            directory.chmod(0o755)
        shutil.chown(self.root / "data", "postfix")
        shutil.chown(self.root / "vmail", nobody.pw_uid, nobody.pw_gid)
        (self.config / "main.cf").write_text(MAIN_CF.format(root=self.root, uid=nobody.pw_uid, gid=nobody.pw_gid))
        (self.config / "master.cf").write_text(MASTER_CF.format(port=self.port))
        self._postfix("start")
        wait_port(self.port)

    def stop(self) -> None:
        self._postfix("stop", check=False)

    def _postfix(self, command: str, check: bool = True) -> None:
        result = subprocess.run(["postfix", "-c", str(self.config), command], capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"postfix {command} failed (Postfix logs fatal errors to syslog only; "
                               f"run `script -qc 'postfix -c {self.config} check' /dev/null` to see them)")

    def delivered(self) -> int:
        return len(os.listdir(self.maildir)) if self.maildir.is_dir() else 0


def bench_postfix(workdir: Path, messages: list[bytes], senders: int) -> dict[str, float] | None:
    if shutil.which("postfix") is None or os.geteuid() != 0:
        why = "postfix not installed" if shutil.which("postfix") is None else "postfix needs root to start"
        print(f"postfix skipped: {why}", file=sys.stderr)
        return None
    server = PrivatePostfix(workdir / "postfix")
    server.start()
    try:
        started = time.perf_counter()
        result = run_load(server.port, POSTFIX_RCPT, messages, senders)
        deadline = time.monotonic() + 120
        while server.delivered() < len(messages) and time.monotonic() < deadline:
            time.sleep(0.05)
        result["delivered_s"] = round(time.perf_counter() - started, 2)
        if server.delivered() != len(messages):
            raise RuntimeError(f"postfix delivered {server.delivered()} of {len(messages)} to the Maildir")
    finally:
        server.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="tiny load for CI (200 messages, 4 senders)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    if args.smoke:
        args.messages, args.senders = 200, 4
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kustos-bench-smtp-"))
    messages = make_messages(args.messages)
    size = sum(map(len, messages))
    print(f"load: {args.messages} messages ({size / 1e6:.1f} MB), {args.senders} parallel senders", file=sys.stderr)
    runs: dict[str, Callable[[Path, list[bytes], int], dict[str, float] | None]] = {
        "kustos": bench_kustos, "postfix": bench_postfix}
    results: dict[str, Any] = {}
    try:
        for name, run in runs.items():
            try:
                results[name] = run(workdir, messages, args.senders)
            except RuntimeError as exc:
                if name == "kustos" or not args.smoke:
                    raise
                # A CI smoke run must not fail on the anchor's environment; say why it is missing.
                print(f"{name} failed: {exc}", file=sys.stderr)
                results[name] = None
            print(f"{name}: {results[name]}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = {name: None if value is None else {"msg_s": value["msg_s"], "p99_ms": value["p99_ms"]}
               for name, value in results.items()}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
