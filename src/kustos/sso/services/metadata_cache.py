"""An in-process cache of OpenID providers' discovery documents and key sets (JWKS).

Without it every ``/sso/<id>/start`` and every callback fetched both from the provider. Now:

* a discovery document is kept ``DISCOVERY_TTL`` seconds per discovery URL;
* a key set is kept ``JWKS_TTL`` seconds per ``jwks_uri``; a token naming a key the cached set
  lacks (the provider rotated its keys) fetches it again at once, but at most once per
  ``REFRESH_INTERVAL`` per ``jwks_uri``, so a flood of tokens with unknown keys cannot make Kustos
  hammer the provider;
* a failed fetch is remembered ``FAILURE_TTL`` seconds (a provider that is down or slow is not
  asked again by every sign-in in the meantime; each caller gets the same one-line error);
* every request has a timeout; each table keeps at most ``MAX_ENTRIES`` URLs (least recently used
  dropped first).

Errors are ``MetadataError`` with one line naming the URL and the problem (never a secret: these
URLs and documents are public). No Django here; ``oidc_flow`` passes the timeout in.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import requests

DISCOVERY_TTL = 3600.0
JWKS_TTL = 3600.0  # keys the provider withdrew stop being trusted within the hour
REFRESH_INTERVAL = 60.0  # at most one key-set refetch for unknown keys per minute and provider
FAILURE_TTL = 10.0
MAX_ENTRIES = 128
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class MetadataError(ValueError):
    """A discovery document or key set could not be fetched or is not valid (one line)."""


@dataclass
class _Entry:
    value: dict[str, Any] | None = None
    fetched_at: float = float("-inf")
    error: str = ""
    failed_at: float = float("-inf")
    refreshed_at: float = float("-inf")  # last refetch forced by an unknown key
    lock: threading.Lock = field(default_factory=threading.Lock)


class MetadataCache:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES,
                 discovery_ttl: float = DISCOVERY_TTL, jwks_ttl: float = JWKS_TTL,
                 refresh_interval: float = REFRESH_INTERVAL, failure_ttl: float = FAILURE_TTL) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self.discovery_ttl = discovery_ttl
        self.jwks_ttl = jwks_ttl
        self.refresh_interval = refresh_interval
        self.failure_ttl = failure_ttl
        self._lock = threading.Lock()
        self._tables: dict[str, OrderedDict[str, _Entry]] = {"discovery": OrderedDict(), "jwks": OrderedDict()}

    def discovery(self, url: str, *, timeout: float) -> dict[str, Any]:
        """The provider's discovery document (a copy), fetched at most once per ``discovery_ttl``."""
        return self._get("discovery", url, timeout=timeout, ttl=self.discovery_ttl, refresh=False)

    def jwks(self, url: str, *, timeout: float, refresh: bool = False) -> dict[str, Any]:
        """The key set at ``url`` (a copy). ``refresh``: a token named a key the cached set lacks;
        fetched again unless that was already done within ``refresh_interval``."""
        return self._get("jwks", url, timeout=timeout, ttl=self.jwks_ttl, refresh=refresh)

    def clear(self) -> None:
        with self._lock:
            for table in self._tables.values():
                table.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(table) for table in self._tables.values())

    # --- internals ----------------------------------------------------------------------
    def _entry(self, kind: str, url: str) -> _Entry:
        with self._lock:
            table = self._tables[kind]
            entry = table.get(url)
            if entry is None:
                entry = table[url] = _Entry()
                while len(table) > self.max_entries:
                    table.popitem(last=False)
            table.move_to_end(url)
            return entry

    def _get(self, kind: str, url: str, *, timeout: float, ttl: float, refresh: bool) -> dict[str, Any]:
        entry = self._entry(kind, url)
        with entry.lock:  # one fetch per URL at a time; the others wait for its result
            now = self.clock()
            fresh = entry.value is not None and now - entry.fetched_at < ttl
            if refresh and fresh and now - entry.refreshed_at >= self.refresh_interval:
                entry.refreshed_at = now
                fresh = False
            if not fresh:
                if entry.error and now - entry.failed_at < self.failure_ttl:
                    raise MetadataError(entry.error)
                try:
                    entry.value = _fetch(kind, url, timeout)
                except MetadataError as exc:
                    entry.error, entry.failed_at = str(exc), now
                    raise
                entry.fetched_at, entry.error = now, ""
            assert entry.value is not None
            return deepcopy(entry.value)


def _fetch(kind: str, url: str, timeout: float) -> dict[str, Any]:
    what = "the discovery document" if kind == "discovery" else "the signing keys"
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.Timeout:
        raise MetadataError(f"{what} at {url} did not answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        raise MetadataError(f"{what} at {url} could not be fetched ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise MetadataError(f"{what} at {url} answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise MetadataError(f"{what} at {url} is not JSON") from None
    if not isinstance(data, dict):
        raise MetadataError(f"{what} at {url} is not a JSON object")
    if kind == "discovery":
        missing = [name for name in REQUIRED_METADATA if not isinstance(data.get(name), str) or not data[name]]
        if missing:
            raise MetadataError(f"{what} at {url} lacks {', '.join(missing)}")
    elif not isinstance(data.get("keys"), list) or not data["keys"]:
        raise MetadataError(f"{what} at {url} lists no keys")
    return data


CACHE = MetadataCache()
"""The process's cache (sign-in runs in the web process; every worker thread shares it)."""
