"""Backend factories for the vault contract suite (local, memory, S3 on a moto server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kustos.vault.backends.base import Backend
from kustos.vault.backends.local import LocalBackend
from kustos.vault.backends.memory import MemoryBackend
from kustos.vault.backends.s3 import S3Backend

KINDS = ["local", "memory", pytest.param("s3", marks=pytest.mark.s3)]


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path, lock: bool = False) -> Backend:
    if kind == "local":
        return LocalBackend(tmp_path / "vault")
    if kind == "memory":
        return MemoryBackend()
    server: dict[str, Any] = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_lock_bucket" if lock else "s3_bucket")
    return S3Backend(bucket, "pfx/v", endpoint_url=server["endpoint_url"], region=server["region"],
                     access_key=server["access_key"], secret_key=server["secret_key"])
