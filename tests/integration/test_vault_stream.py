"""Streaming puts: a large generated stream is chunked while read; memory stays flat."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("vault_stream_probe.py")


def _run(tmp_path: Path, mib: int) -> dict[str, float | str]:
    proc = subprocess.run([sys.executable, str(PROBE), str(tmp_path / "home"), str(mib)], capture_output=True,
                          text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(json.loads(proc.stdout.splitlines()[-1]))


def _check(result: dict[str, float | str], mib: int) -> None:
    assert result["size"] == mib * 1024 * 1024
    assert result["sha_in"] == result["sha_out"] == result["put_sha"]
    assert float(result["rss_growth_mb"]) < 150, result
    # The repeated half is stored once.
    assert int(result["stored"]) < mib * 1024 * 1024 * 0.7


def test_300mb_stream_put_and_read_back_in_flat_memory(tmp_path: Path) -> None:
    _check(_run(tmp_path, 300), 300)


@pytest.mark.slow
def test_2gb_stream_put_and_read_back_in_flat_memory(tmp_path: Path) -> None:
    _check(_run(tmp_path, 2048), 2048)
