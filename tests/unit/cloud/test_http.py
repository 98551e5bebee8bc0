"""Shared HTTP client: Retry-After, backoff, token refresh, transport errors, limits, paging."""

from __future__ import annotations

import ssl
import threading
import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from kustos.sources.base import HostUnreachable, TLSFailure
from kustos.sources.http import (
    CachedToken,
    HttpClient,
    KeyedLimiter,
    RetryPolicy,
    Throttled,
    bounded_map,
    iter_link_pages,
    iter_token_pages,
    retry_after_seconds,
)


class Script:
    """A MockTransport handler answering from a list of (status, headers) and recording requests."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        status, headers = self.answers[min(len(self.seen), len(self.answers)) - 1]
        return httpx.Response(status, headers=headers, json={"n": len(self.seen)})


def client(script: Script, **kwargs: object) -> tuple[HttpClient, list[float]]:
    slept: list[float] = []
    http = HttpClient(transport=httpx.MockTransport(script), sleep=slept.append, **kwargs)  # type: ignore[arg-type]
    return http, slept


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = time.time()
    assert 29 <= retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) <= 31  # type: ignore[operator]
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_429_waits_exactly_retry_after() -> None:
    script = Script([(429, {"Retry-After": "2"}), (503, {"Retry-After": "1"}), (200, {})])
    http, slept = client(script)
    assert http.get_json("https://api.test/x") == {"n": 3}
    assert slept == [2.0, 1.0] and http.waits == [2.0, 1.0]


def test_backoff_without_retry_after_grows() -> None:
    script = Script([(503, {}), (502, {}), (500, {}), (200, {})])
    http, slept = client(script, retry=RetryPolicy(backoff=1.0))
    http.get_json("https://api.test/x")
    assert len(slept) == 3 and 0.5 <= slept[0] <= 1.0 and 2.0 <= slept[2] <= 4.0


def test_throttled_after_budget_or_too_long_wait() -> None:
    http, slept = client(Script([(429, {"Retry-After": "1"})]), retry=RetryPolicy(max_attempts=3))
    with pytest.raises(Throttled, match="api.test is throttling"):
        http.get_json("https://api.test/x")
    assert slept == [1.0, 1.0]
    http, slept = client(Script([(429, {"Retry-After": "3600"})]), retry=RetryPolicy(max_wait=60))
    with pytest.raises(Throttled, match="retry after 3600 s"):
        http.get_json("https://api.test/x")
    assert slept == []


class CountingToken:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def token(self, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        return f"t{len(self.calls)}"


def test_401_refreshes_token_once() -> None:
    script = Script([(401, {}), (200, {})])
    token = CountingToken()
    http, _ = client(script, token=token)
    http.get_json("https://api.test/x")
    assert token.calls == [False, True]
    assert [r.headers["Authorization"] for r in script.seen] == ["Bearer t1", "Bearer t2"]
    script = Script([(401, {})])
    http, _ = client(script, token=CountingToken())
    assert http.request("GET", "https://api.test/x").status_code == 401
    assert len(script.seen) == 2


def test_per_call_token_overrides_client_token() -> None:
    script = Script([(200, {})])
    http, _ = client(script, token=CountingToken())
    other = CountingToken()
    http.get_json("https://api.test/x", token=other)
    assert script.seen[0].headers["Authorization"] == "Bearer t1" and other.calls == [False]


def _raising(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


def test_transport_errors_become_connector_errors() -> None:
    refused = HttpClient(transport=_raising(httpx.ConnectError("Connection refused")))
    with pytest.raises(HostUnreachable, match="cannot reach api.test"):
        refused.get_json("https://api.test/x")
    tls = httpx.ConnectError("handshake")
    tls.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    with pytest.raises(TLSFailure, match="TLS handshake with api.test failed"):
        HttpClient(transport=_raising(tls)).get_json("https://api.test/x")
    slept: list[float] = []
    slow = HttpClient(transport=_raising(httpx.ReadTimeout("slow")), sleep=slept.append,
                      retry=RetryPolicy(max_attempts=3))
    with pytest.raises(HostUnreachable, match="did not answer"):
        slow.get_json("https://api.test/x")
    assert len(slept) == 2


def test_real_closed_port_is_unreachable() -> None:
    with pytest.raises(HostUnreachable):
        HttpClient(timeout=5).get_json("http://127.0.0.1:9/")


def test_keyed_limiter_bounds_each_key_separately() -> None:
    limiter = KeyedLimiter(2)
    active: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}
    lock = threading.Lock()

    def work(key: str) -> None:
        with limiter.slot(key):
            with lock:
                active[key] += 1
                peak[key] = max(peak[key], active[key])
            time.sleep(0.05)
            with lock:
                active[key] -= 1

    threads = [threading.Thread(target=work, args=(k,)) for k in "aaaaabbbbb"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == {"a": 2, "b": 2}


def test_cached_token_renews_before_expiry() -> None:
    now = [0.0]
    issued: list[int] = []

    def fetch() -> tuple[str, float]:
        issued.append(1)
        return f"tok{len(issued)}", 100.0

    cached = CachedToken(fetch, clock=lambda: now[0])
    assert cached.token() == "tok1"
    now[0] = 89.0
    assert cached.token() == "tok1"
    now[0] = 91.0  # inside the last 10 %
    assert cached.token() == "tok2"
    assert cached.token(force_refresh=True) == "tok3"


def test_paging_helpers() -> None:
    pages: dict[str, dict[str, Any]] = {"u1": {"value": [1], "@odata.nextLink": "u2"}, "u2": {"value": [2]}}
    assert [p["value"] for p in iter_link_pages(pages.__getitem__, "u1")] == [[1], [2]]
    tokens: dict[str | None, dict[str, Any]] = {None: {"items": [1], "nextPageToken": "p2"}, "p2": {"items": [2], "nextPageToken": ""}}
    assert [p["items"] for p in iter_token_pages(tokens.__getitem__)] == [[1], [2]]


def test_bounded_map_keeps_order_and_runs_in_parallel() -> None:
    def slow_square(n: int) -> int:
        time.sleep(0.1)
        return n * n

    started = time.monotonic()
    assert bounded_map(slow_square, range(8), 4) == [n * n for n in range(8)]
    assert time.monotonic() - started < 0.75  # 8 x 0.1 s sequentially would be 0.8 s; 4 at a time 0.2 s
