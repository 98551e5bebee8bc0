"""Parsing in worker processes: both cores work while the main process stores and indexes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from kustos.mail import parse

# Below this many messages the pickling overhead outweighs a second process.
POOL_THRESHOLD = 32


def parse_one(raw: bytes) -> Any:
    return parse(raw)


def parse_many(raws: Sequence[bytes], pool: Executor | None) -> list[Any]:
    if pool is None or len(raws) < POOL_THRESHOLD:
        return [parse(raw) for raw in raws]
    return list(pool.map(parse_one, raws, chunksize=16))


def make_pool(workers: int) -> Executor | None:
    """A process pool for parsing, or None for a single core. Uses fork: workers inherit imports."""
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
