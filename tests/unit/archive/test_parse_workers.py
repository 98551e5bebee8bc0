"""Parse workers: started from a light fork server (not copies of the ingesting process), they
parse exactly like the inline parser and die with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from kustos.archive.pipeline.parsing import POOL_THRESHOLD, collect, make_pool, submit
from kustos.mail import parse


def _raw(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Anna {i} <anna{i}@example.org>"
    msg["To"] = "archiv@kunde.example"
    msg["Subject"] = f"Rechnung Nr. {i:05d} für März"
    msg["Message-ID"] = f"<m{i}@example.org>"
    msg["Date"] = "Tue, 03 Mar 2020 10:00:00 +0100"
    msg.set_content(f"Hallo,\nanbei die Rechnung {i}.\nGrüße\n")
    if i % 5 == 0:
        msg.add_attachment(f"Position;Betrag\n{i};{i * 3},50\n".encode(), maintype="text", subtype="csv",
                           filename=f"rechnung-{i}.csv")
    return msg.as_bytes()


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pool_parses_like_the_inline_parser_in_workers_that_are_not_copies_of_this_process():
    import django  # noqa: F401  (the ingesting process holds Django; workers must not)

    raws = [_raw(i) for i in range(POOL_THRESHOLD + 8)]
    pool = make_pool(2)
    assert pool is not None
    try:
        futures = submit(raws, pool)
        assert futures is not None
        assert collect(futures) == [parse(raw) for raw in raws]
        pids = set(pool._processes)  # type: ignore[attr-defined]
        assert len(pids) == 2
        for pid in pids:
            assert _ppid(pid) != os.getpid()  # forked by the fork server, not by this process
        loaded = pool.submit(eval, "sorted(m for m in __import__('sys').modules if m.split('.')[0] in "
                                   "('django', 'tantivy', 'kustos'))").result()
        assert "kustos.mail.parse" in loaded
        assert not [m for m in loaded if m.startswith(("django", "tantivy", "kustos.vault", "kustos.core"))]
        server = {_ppid(pid) for pid in pids}
    finally:
        pool.shutdown()
    # the fork server stops with the last pool (a job worker does not keep it between imports)
    assert not [p for p in pids | server if _alive(p)]
    again = make_pool(2)  # and starts again for the next one
    assert again is not None
    try:
        assert collect(submit(raws, again)) == [parse(raw) for raw in raws]
    finally:
        again.shutdown()


def test_single_core_parses_inline():
    assert make_pool(1) is None
    assert submit([_raw(1)] * 100, None) is None


CHILD = """
import os, sys, time
from kustos.archive.pipeline.parsing import make_pool
pool = make_pool(2)
pool.submit(os.getpid).result()
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(600)
"""


def test_workers_die_when_the_ingesting_process_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        pids += {_ppid(p) for p in pids}  # the fork server goes too
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]


UNGUARDED_SCRIPT = """
from email.message import EmailMessage
from kustos.archive.pipeline.parsing import collect, make_pool, submit
msg = EmailMessage()
msg["Subject"] = "Rechnung"
msg.set_content("Hallo")
pool = make_pool(2)
parsed = collect(submit([msg.as_bytes()] * 40, pool))
print(len(parsed), parsed[0].subject)
pool.shutdown()
"""


def test_workers_do_not_run_the_main_script_again(tmp_path):
    # A script without an ``if __name__ == "__main__"`` guard: workers that imported it (the
    # fork server's default) would start pools of their own and break this one.
    script = tmp_path / "import_script.py"
    script.write_text(UNGUARDED_SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["40", "Rechnung"]  # printed once: no worker ran the script
