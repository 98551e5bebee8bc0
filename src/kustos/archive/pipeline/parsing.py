"""Parsing in worker processes: both cores work while the main process stores and indexes."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from kustos.mail import parse

# Below this many messages the pickling overhead outweighs a second process.
POOL_THRESHOLD = 32
CHUNK = 16
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


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


def _die_with_parent() -> None:
    """Worker initializer: the kernel kills this worker when the ingesting process dies
    (even by SIGKILL), so no orphan keeps the parent's pipes or file locks open."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def make_pool(workers: int) -> Executor | None:
    """A process pool for parsing, or None for a single core.

    Uses fork (workers inherit imports) and starts every worker now, before the caller
    takes the vault's writer lock, so no worker inherits a locked file description.
    """
    if workers <= 1:
        return None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with_parent)
    for fut in [pool.submit(os.getpid) for _ in range(workers)]:
        fut.result()
    return pool
