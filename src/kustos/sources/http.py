"""Shared HTTP plumbing for SaaS connectors (Graph, Gmail, later Box, Dropbox, Salesforce).

* :class:`HttpClient` — an ``httpx.Client`` that retries throttling answers (429/503 by
  default) obeying ``Retry-After`` (seconds or HTTP date), falls back to exponential
  backoff without it, refreshes the bearer token once on 401, bounds concurrency per
  key (e.g. per mailbox) and turns transport failures into the connector errors of
  :mod:`kustos.sources.base`.
* :class:`CachedToken` — thread-safe access-token cache around a fetch function.
* :class:`KeyedLimiter` — at most N concurrent holders per key.
* :func:`iter_link_pages`, :func:`iter_token_pages` — paging by next-link (OData,
  Box ``next_marker`` URLs) or by page token (Google, Dropbox cursors).
* :func:`bounded_map` — run a function over items with at most N threads, in order.
* :class:`EgressTransport` — an httpx transport whose every connection (first request,
  redirects, next-page links) goes through :class:`kustos.sources.egress.EgressPolicy`:
  resolved once, checked, connected to the checked address; TLS still verifies the name.

Bearer tokens and response bodies are never logged.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpcore
import httpx

from kustos.sources.base import ConnectorError, HostUnreachable, TLSFailure
from kustos.sources.egress import EgressPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Throttled(ConnectorError):
    """The service kept throttling past the retry budget."""


class HttpStatusError(ConnectorError):
    """An unexpected HTTP status; ``status`` and the parsed JSON ``body`` are kept for mapping."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    max_wait: float = 300.0  # one Retry-After longer than this is reported instead of slept
    backoff: float = 0.5  # first wait when the server gives no Retry-After; doubles each time
    max_backoff: float = 30.0
    # 429/503 are the throttling answers; 500/502/504 are the transient failures Graph and
    # Google both document as "retry with backoff".
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or HTTP-date form); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class TokenSource(Protocol):
    def token(self, force_refresh: bool = False) -> str: ...


class CachedToken:
    """Caches a bearer token from ``fetch() -> (token, expires_in_seconds)`` until shortly before expiry."""

    def __init__(self, fetch: Callable[[], tuple[str, float]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def token(self, force_refresh: bool = False) -> str:
        with self._lock:
            if force_refresh or self._token is None or self._clock() >= self._refresh_at:
                token, expires_in = self._fetch()
                # Renew a little early (10 %, at most 5 minutes) so no request carries a dying token.
                self._token = token
                self._refresh_at = self._clock() + expires_in - min(300.0, expires_in * 0.1)
            return self._token


class KeyedLimiter:
    """At most ``limit`` concurrent holders per key (e.g. 4 requests per Exchange mailbox)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(limit))

    @contextmanager
    def slot(self, key: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores[key]
        with semaphore:
            yield


class SharedPause:
    """A Retry-After seen by one client holds back every client sharing this pause (a tenant-wide throttle)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - self._clock())


ErrorMapper = Callable[[httpx.Response], ConnectorError]
RetryPredicate = Callable[[httpx.Response], bool]


def default_error(response: httpx.Response) -> ConnectorError:
    try:
        body = response.json()
    except ValueError:
        body = None
    host = urlsplit(str(response.request.url)).netloc
    return HttpStatusError(f"{host} answered HTTP {response.status_code}", response.status_code, body)


class _EgressBackend(httpcore.SyncBackend):
    """httpcore network backend that connects only to addresses the egress policy allows."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            infos = self.policy.resolve(host, port)  # raises EgressRefused (a ConnectorError) as is
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved ({exc})") from exc
        last: Exception | None = None
        for info in infos:
            try:  # the checked IP literal: no second resolution that could answer differently
                return super().connect_tcp(str(info[4][0]), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


class EgressTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections obey an :class:`EgressPolicy`.

    The URL's host name stays the TLS server name (SNI and certificate check); only the
    TCP connection goes to the address that was resolved and checked.
    """

    def __init__(self, policy: EgressPolicy, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        # HTTPTransport builds its pool without a network_backend parameter; replace it by
        # the same pool over the egress backend (guarded by tests/unit/sources_mail/test_egress.py).
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_EgressBackend(policy))


class HttpClient:
    """Thread-safe HTTP client with retries, token refresh and per-key concurrency bounds.

    With ``egress`` every connection (including redirects when ``follow_redirects`` is on,
    and next-page links) is checked against the policy; environment proxies are not used then.
    """

    def __init__(self, *, token: TokenSource | None = None, limiter: KeyedLimiter | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 60.0,
                 on_error: ErrorMapper = default_error, retryable: RetryPredicate | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 headers: Mapping[str, str] | None = None, transport: httpx.BaseTransport | None = None,
                 egress: EgressPolicy | None = None, follow_redirects: bool = False,
                 pause: SharedPause | None = None) -> None:
        self.token = token
        self.pause = pause
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.on_error = on_error
        self.retryable = retryable  # extra throttling answers, e.g. Google's 403 rateLimitExceeded
        self.sleep = sleep
        self.waits: list[float] = []  # every throttling wait slept, for observability and tests
        if transport is None and egress is not None:
            transport = EgressTransport(egress)
        self._client = httpx.Client(timeout=timeout, headers=dict(headers or {}), transport=transport,
                                    follow_redirects=follow_redirects, trust_env=egress is None)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, *, key: str | None = None, auth: bool = True,
                params: Mapping[str, Any] | None = None, data: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None, token: TokenSource | None = None,
                content: bytes | None = None) -> httpx.Response:
        """Send with retries; returns the final response whatever its status (see :meth:`expect`).

        ``key`` selects the concurrency slot (e.g. the mailbox); ``token`` overrides the
        client's token source for this call (per-user tokens under domain-wide delegation).
        """
        source = token or self.token
        refreshed = False
        for attempt in range(1, self.retry.max_attempts + 1):
            self.wait_shared_pause()
            send_headers = dict(headers or {})
            if auth and source is not None:
                send_headers["Authorization"] = f"Bearer {source.token(force_refresh=refreshed)}"
            slot: AbstractContextManager[None] = self.limiter.slot(key) if self.limiter and key else nullcontext()
            try:
                with slot:
                    response = self._client.request(method, url, params=params, data=data, headers=send_headers,
                                                    content=content)
            except (httpx.TimeoutException, httpx.RemoteProtocolError) as exc:
                if attempt == self.retry.max_attempts:
                    raise HostUnreachable(f"{urlsplit(url).netloc} did not answer ({type(exc).__name__})")
                self._wait(self._backoff(attempt))
                continue
            except httpx.TransportError as exc:
                raise _transport_error(url, exc) from None
            if response.status_code == 401 and auth and source is not None and not refreshed:
                refreshed = True  # an expired or revoked token: fetch a fresh one once
                continue
            if response.status_code in self.retry.statuses or (self.retryable and self.retryable(response)):
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                wait = self._backoff(attempt) if wait is None else wait
                if attempt == self.retry.max_attempts or wait > self.retry.max_wait:
                    raise Throttled(f"{urlsplit(url).netloc} is throttling requests (HTTP {response.status_code}, "
                                    f"retry after {wait:.0f} s); try again later")
                log.info("throttled by %s (HTTP %s), waiting %.1f s", urlsplit(url).netloc,
                         response.status_code, wait)
                if self.pause is not None:
                    self.pause.hold(wait)
                self._wait(wait)
                continue
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    def wait_shared_pause(self) -> None:
        """Sleep out a Retry-After another client sharing ``pause`` was given."""
        remaining = self.pause.remaining() if self.pause is not None else 0.0
        if remaining > 0:
            self._wait(remaining)

    def stream(self, method: str, url: str, *,
               headers: Mapping[str, str] | None = None) -> AbstractContextManager[httpx.Response]:
        """One unauthenticated, unretried streaming request (pre-authenticated download URLs)."""
        return self._client.stream(method, url, headers=dict(headers or {}))

    def expect(self, response: httpx.Response, ok: Iterable[int] = (200,)) -> httpx.Response:
        if response.status_code not in tuple(ok):
            raise self.on_error(response)
        return response

    def get_json(self, url: str, *, key: str | None = None, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, token: TokenSource | None = None) -> Any:
        return self.expect(self.request("GET", url, key=key, params=params, headers=headers, token=token)).json()

    def get_bytes(self, url: str, *, key: str | None = None, params: Mapping[str, Any] | None = None,
                  token: TokenSource | None = None) -> bytes:
        return self.expect(self.request("GET", url, key=key, params=params, token=token)).content

    def _backoff(self, attempt: int) -> float:
        base = min(self.retry.max_backoff, self.retry.backoff * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)  # jitter so parallel workers do not retry in lockstep

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)


def _transport_error(url: str, exc: httpx.TransportError) -> ConnectorError:
    host = urlsplit(url).netloc
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return TLSFailure(f"TLS handshake with {host} failed: {cause}")
        cause = cause.__cause__ or cause.__context__
    if "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper():
        return TLSFailure(f"TLS handshake with {host} failed: {exc}")
    return HostUnreachable(f"cannot reach {host}: {exc}")


def iter_link_pages(fetch: Callable[[str], Mapping[str, Any]], url: str,
                    next_key: str = "@odata.nextLink") -> Iterator[Mapping[str, Any]]:
    """Pages of a collection that links to its next page (OData ``@odata.nextLink``)."""
    next_url: str | None = url
    while next_url:
        page = fetch(next_url)
        yield page
        next_url = page.get(next_key)


def iter_token_pages(fetch: Callable[[str | None], Mapping[str, Any]],
                     token_key: str = "nextPageToken") -> Iterator[Mapping[str, Any]]:
    """Pages of a collection continued by a page token (Google ``nextPageToken``)."""
    token: str | None = None
    while True:
        page = fetch(token)
        yield page
        token = page.get(token_key)
        if not token:
            return


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[fn(x) for x in items]`` with at most ``max_workers`` threads; first exception propagates."""
    values = list(items)
    if max_workers <= 1 or len(values) <= 1:
        return [fn(value) for value in values]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(fn, values))
