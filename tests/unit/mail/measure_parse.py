"""Child process for the memory tests: parse one message file, report peak memory.

Run as ``python measure_parse.py MESSAGE_FILE``. Prints one JSON object:
``baseline_kb`` (ru_maxrss after imports and a warm-up parse, before the message is
read), ``peak_kb`` (ru_maxrss after parsing; it includes the message's own bytes),
``seconds`` (wall time of ``parse``) and a summary of the result. ru_maxrss is the
kernel's high-water mark of resident memory, so it counts everything: Python
objects, C libraries (lxml, zlib) and allocator slack.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from kustos.mail import parse

WARM_UP = (
    b"From: a@example.org\nSubject: warm\nContent-Type: multipart/mixed; boundary=s\n\n"
    b"--s\nContent-Type: text/html; charset=utf-8\n\n<p>x</p>\n"
    b"--s\nContent-Type: text/plain; name=a.txt\nContent-Transfer-Encoding: base64\n\neA==\n--s--\n"
)


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(path: str) -> None:
    parse(WARM_UP)
    baseline = _maxrss_kb()
    raw = Path(path).read_bytes()
    start = time.monotonic()
    msg = parse(raw)
    seconds = time.monotonic() - start
    print(json.dumps({
        "baseline_kb": baseline, "peak_kb": _maxrss_kb(), "seconds": seconds, "size": len(raw),
        "subject": msg.subject, "defects": msg.defects, "parse_error": msg.parse_error,
        "attachments": len(msg.attachments), "body_chars": len(msg.body_text), "headers": len(msg.headers),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
