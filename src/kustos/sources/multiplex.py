"""One backup connector over the selected services of a connection (Microsoft 365, Google, Dropbox,
Box, Salesforce).

Scope ids are prefixed by the service (``onedrive:<user id>``, ``drive:shared:<id>``, ``data:<org>``)
so one connection's cursors never collide; ``Scope.meta["service"]`` names the service and
``Scope.meta["account"]`` the unprefixed id. A platform subclasses :class:`ServiceConnector` and says
only how to sign in (:meth:`ServiceConnector.sign_in`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar, Protocol

from kustos.sources.base import Batch, ConnectorError, Cursor, Scope


class Service(Protocol):
    name: ClassVar[str]

    def scopes(self) -> Iterable[Scope]: ...

    def check(self, scope: Scope) -> None: ...

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]: ...


def split_scope_id(scope_id: str) -> tuple[str, str]:
    service, sep, inner = scope_id.partition(":")
    if not sep or not inner:
        raise ConnectorError(f"backup scope id {scope_id!r} does not start with a service name")
    return service, inner


class ServiceConnector:
    """Multiplexes scopes and fetches over ``services`` (see the module docstring)."""

    name: ClassVar[str] = ""

    def __init__(self, session: Any, services: Mapping[str, Service]) -> None:
        if not services:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = dict(services)

    def close(self) -> None:
        self.session.close()

    def sign_in(self) -> None:
        """Get a fresh token (the first step of :meth:`check`); platforms override it."""

    def check(self) -> None:
        """Sign in, then read the first scope of every selected service."""
        self.sign_in()
        for service in self.services.values():
            first = next(iter(service.scopes()), None)
            if first is not None:
                service.check(first)

    def scopes(self) -> Iterator[Scope]:
        for name, service in self.services.items():
            for scope in service.scopes():
                yield replace(scope, id=f"{name}:{scope.id}", meta={**scope.meta, "service": name,
                                                                     "account": scope.id})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        name, inner = split_scope_id(scope.id)
        service = self.services.get(name)
        if service is None:
            raise ConnectorError(f"backup service {name!r} is not selected for this connection")
        yield from service.fetch(replace(scope, id=inner), cursor)
