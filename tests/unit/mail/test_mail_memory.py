"""Peak memory and time of parsing hostile ~20 MB messages (issue 10, item 8).

Each message is parsed in a fresh child process (``measure_parse.py``) that reports
its ``ru_maxrss`` high-water mark before reading the message (after imports and a
warm-up parse) and after parsing it. The difference is what reading and parsing
the message cost, the message's own bytes included, as the kernel counts resident
memory: Python objects, C libraries and allocator slack alike. A parser that
copied the body per nesting level needed ~130x the message size here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.mail.adversarial import BUILDERS

MEASURE = Path(__file__).with_name("measure_parse.py")
REPO = Path(__file__).resolve().parents[3]
SIZE = 20_000_000
FACTOR = 10
CONSTANT = 64 * 1024 * 1024
SECONDS = 30.0  # generous for a loaded 2-core CI machine; typical runs take 0.1-1.5 s

# What each shape must leave behind: proof that the limit acted, not just that memory was low.
EXPECTED_DEFECT = {
    "deep_multipart": "MimeNestingTooDeep",
    "many_parts": "TooManyParts",
    "huge_headers": "TooManyHeaderFields",
}


def _measure(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, str(MEASURE), str(path)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@pytest.mark.slow  # ten child processes parsing 20 MB each: ~25 s
@pytest.mark.parametrize("shape", sorted(BUILDERS))
def test_parsing_a_hostile_message_needs_at_most_ten_times_its_size(shape: str, tmp_path: Path) -> None:
    path = tmp_path / f"{shape}.eml"
    path.write_bytes(BUILDERS[shape](SIZE))
    report = _measure(path)
    size = report["size"]
    assert size >= SIZE * 0.85
    used = (report["peak_kb"] - report["baseline_kb"]) * 1024
    assert used <= FACTOR * size + CONSTANT, f"{shape}: {used / 1e6:.0f} MB for {size / 1e6:.0f} MB"
    assert report["seconds"] < SECONDS, f"{shape}: parse took {report['seconds']:.1f}s"
    assert report["parse_error"] == ""
    assert report["subject"] == "hostile"
    if shape in EXPECTED_DEFECT:
        assert EXPECTED_DEFECT[shape] in report["defects"]
