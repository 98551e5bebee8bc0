"""The file readers are framework-free: no Django, no job queue.

The root conftest's autouse ``_jobs_run_inline`` imports huey's Django integration,
which fails under ``-p no:django`` (how framework-free areas are run); this area has no
jobs, so the fixture is overridden with a no-op here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _jobs_run_inline() -> Iterator[None]:
    yield
