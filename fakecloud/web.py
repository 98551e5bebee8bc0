"""Minimal request/response/router types shared by every emulated service."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # filled from the route pattern
    base_url: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        if value[:7].lower() == "bearer ":
            return value[7:].strip() or None
        return None


@dataclass
class Streamed:
    """A body written piece by piece (large downloads); ``length`` is sent as Content-Length."""

    length: int
    pieces: Iterator[bytes]


@dataclass
class Response:
    status: int = 200
    body: bytes | Streamed = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": "application/json; charset=utf-8"}
    merged.update(headers or {})
    return Response(status, json.dumps(payload).encode("utf-8"), merged)


Handler = Callable[[Request], Response]


class Router:
    """Routes ``(method, path regex)`` to handlers; named groups become ``request.params``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile("^" + pattern + "$"), handler))

    def routes(self) -> list[tuple[str, str]]:
        """``(method, pattern)`` of every route, for documentation checks."""
        return [(method, regex.pattern) for method, regex, _ in self._routes]

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method:
                return handler, {k: unquote(v) for k, v in found.groupdict().items()}
        return None
