"""Parsing in worker processes: both cores work while the main process stores and indexes.

Workers start from multiprocessing's fork server, a fresh interpreter that imports only the
parsing modules (and the main script), not from the ingesting process: forked from a process
that holds Django, tantivy and the vault index, each worker cost ~85 MB of PSS as it touched
(copied) the inherited pages; from the fork server it shares a small, parse-only image.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.forkserver as forkserver
import os
import select
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from kustos.mail import parse

# Below this many messages the pickling overhead outweighs a second process.
POOL_THRESHOLD = 32
CHUNK = 16
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
# What the fork server imports once for all workers: the parsing modules, then it freezes
# them out of the garbage collector (so the workers' collections do not copy their pages).
PRELOAD = ["kustos.archive.pipeline.parse_preload"]


def parse_one(raw: bytes) -> Any:
    return parse(raw)


def parse_many(raws: Sequence[bytes], pool: Executor | None) -> list[Any]:
    if pool is None or len(raws) < POOL_THRESHOLD:
        return [parse(raw) for raw in raws]
    return list(pool.map(parse_one, raws, chunksize=16))


def parse_chunk(raws: list[bytes]) -> list[Any]:
    return [parse(raw) for raw in raws]


def submit(raws: Sequence[bytes], pool: Executor | None) -> list[Future] | None:
    """Start parsing in the pool now (overlapping the previous batch's store/index); None = parse inline."""
    if pool is None or len(raws) < POOL_THRESHOLD:
        return None
    return [pool.submit(parse_chunk, list(raws[i:i + CHUNK])) for i in range(0, len(raws), CHUNK)]


def collect(futures: list[Future]) -> list[Any]:
    return [parsed for fut in futures for parsed in fut.result()]


def _die_with(ingester: int) -> None:
    """Worker initializer: this worker exits when the ingesting process ``ingester`` dies (even
    by SIGKILL), so no orphan parses on or keeps pipes open. Its parent is the fork server
    (whose death the kernel signals: PR_SET_PDEATHSIG), but the fork server lives as long as
    any of its children, so a thread also waits for the ingester's exit on a pidfd."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the fork server died before prctl took effect
        os._exit(1)
    try:
        pidfd = os.pidfd_open(ingester)
    except ProcessLookupError:
        os._exit(1)
    except OSError:  # no pidfds (kernel < 5.3): poll instead
        pidfd = -1
    threading.Thread(target=_exit_after, args=(ingester, pidfd), name="kustos-parse-parent", daemon=True).start()


def _exit_after(ingester: int, pidfd: int) -> None:
    if pidfd >= 0:
        select.select([pidfd], [], [])  # readable once the process has exited
    else:
        while True:
            try:
                os.kill(ingester, 0)
            except ProcessLookupError:
                break
            time.sleep(1)
    os._exit(1)


def make_pool(workers: int) -> Executor | None:
    """A process pool for parsing, or None for a single core.

    Workers come from the fork server (see the module doc), so they inherit no file
    descriptors (the vault's writer lock included) and little memory; every worker is
    started now, so its start-up is not part of the first batch.
    """
    if workers <= 1:
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    pool = _ParsePool(max_workers=workers, mp_context=context, initializer=_die_with, initargs=(os.getpid(),))
    with _main_script_hidden():  # the pool starts its workers in submit(), all of them here
        started = [pool.submit(os.getpid) for _ in range(workers)]
    for fut in started:
        fut.result()
    return pool


class _ParsePool(ProcessPoolExecutor):
    """A parse pool; the fork server (~90 MB) stops when the last open pool shuts down, so a
    long-running process (a job worker) does not keep it between imports."""

    _open = 0
    _lock = threading.Lock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _ParsePool._lock:
            super().__init__(*args, **kwargs)
            _ParsePool._open += 1
        self._counted = True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        with _ParsePool._lock:
            if not self._counted:
                return
            self._counted = False
            _ParsePool._open -= 1
            if _ParsePool._open == 0 and wait:
                forkserver._forkserver._stop()  # its workers are gone: it exits at once


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Start workers without the running script: by default a fork-server worker imports the
    parent's main script as ``__mp_main__`` (running an unguarded script's top level again, and
    loading everything it imports, Django for the ``kustos`` command)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
