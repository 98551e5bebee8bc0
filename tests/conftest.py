"""Shared fixtures: corpus location, temporary KUSTOS_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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
