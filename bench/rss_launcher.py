"""A small process that starts benchmark children and reports each one's own peak RSS.

Linux keeps a process's RSS high-water mark across exec, and a child starts with its
parent's: a child forked from a big benchmark script reports at least the script's peak
as its ``ru_maxrss``. Started early, this launcher stays small (standard library only), so
the figures it reports carry a floor of a few MiB instead.

Protocol, one JSON line each way per child: ``{"cmd", "env", "cwd"}`` on standard input;
``{"rc", "seconds", "maxrss_kib", "out", "err"}`` on standard output (``err``: its last 3000 characters).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any


class Launcher:
    """The parent's side: start the launcher once, then :meth:`run` each child through it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, cmd: list[str], env: dict[str, str], cwd: str | None = None) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, "env": env, "cwd": cwd}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the launcher stopped (exit code {self.proc.poll()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen(request["cmd"], env=request["env"], cwd=request["cwd"], stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            reply = {"rc": os.waitstatus_to_exitcode(status), "seconds": seconds, "maxrss_kib": usage.ru_maxrss,
                     "out": out.read().decode(errors="replace"), "err": err.read().decode(errors="replace")[-3000:]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
