"""Run fakecloud as a real subprocess on 127.0.0.1 (for pytest fixtures and scripts)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakecloud.client import Control

ROOT = Path(__file__).resolve().parent.parent


class FakeCloudProcess:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self.control = Control(base_url)


@contextmanager
def running_fakecloud(timeout: float = 20.0) -> Iterator[FakeCloudProcess]:
    """Start ``python -m fakecloud --port 0``; the server picks a free port and prints its URL."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-m", "fakecloud", "--host", "127.0.0.1", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"fakecloud did not start (exit code {process.poll()}): {line!r}")
        yield FakeCloudProcess(process, line.rsplit(" ", 1)[1].strip())
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def generated_message(index: int, tag: str = "fc", size: int = 0) -> bytes:
    """A small distinct RFC 5322 message (CRLF line ends); ``size`` pads the body."""
    body = f"Message {index} of test set {tag}.\r\n" + "x" * size
    return (f"From: Sender {index} <sender{index}@example.org>\r\nTo: archive@example.com\r\n"
            f"Subject: {tag} message {index}\r\nMessage-ID: <{tag}.{index}@example.org>\r\n"
            f"Date: Mon, 04 Sep 2017 10:{index % 60:02d}:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def corpus_messages(corpus: Path, count: int, max_bytes: int = 200_000) -> list[bytes]:
    """``count`` distinct real messages from the shared edge corpus (deterministic choice)."""
    edge = corpus / "email" / "edge"
    candidates = sorted([*edge.glob("enmime/mail/*.raw"), *edge.glob("flanker/*.eml"),
                         *edge.glob("cpython-test_email/msg_*.txt"), *edge.glob("paperless-ngx/*.eml")])
    chosen: list[bytes] = []
    seen: set[bytes] = set()
    for path in candidates:
        data = path.read_bytes()
        if 0 < len(data) <= max_bytes and data not in seen:
            seen.add(data)
            chosen.append(data)
        if len(chosen) == count:
            break
    return chosen


def throttle_obeyed(stats: dict[str, object], tolerance: float = 0.02) -> bool:
    """True when, after every throttled answer, the same path came back no earlier than Retry-After.

    Also False when nothing was throttled at all (the check would prove nothing).
    """
    throttled = stats["throttled"]
    requests = stats["requests"]
    assert isinstance(throttled, list) and isinstance(requests, list)
    if not throttled:
        return False
    for event in throttled:
        later = [r["at"] for r in requests if r["path"] == event["path"] and r["at"] > event["at"]]
        if later and min(later) - event["at"] < event["retry_after"] - tolerance:
            return False
    return True
