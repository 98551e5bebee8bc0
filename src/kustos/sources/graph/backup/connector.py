"""One backup connector multiplexing the selected Microsoft 365 services of a connection.

Scope ids are prefixed by the service (``onedrive:<user id>``, ``mail:<user id>``, ...) so one
connection's cursors never collide; ``Scope.meta["service"]`` names the service too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import ClassVar, Protocol

from kustos.sources.base import Batch, ConnectorError, Cursor, Scope
from kustos.sources.graph.backup.session import GraphSession


class Service(Protocol):
    name: ClassVar[str]
    scope_kind: ClassVar[str]

    def scopes(self) -> Iterable[Scope]: ...

    def check(self, scope: Scope) -> None: ...

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]: ...


def split_scope_id(scope_id: str) -> tuple[str, str]:
    service, sep, inner = scope_id.partition(":")
    if not sep or not inner:
        raise ConnectorError(f"backup scope id {scope_id!r} does not start with a service name")
    return service, inner


class GraphBackupConnector:
    """Connector over the services of one Microsoft 365 connection (see the module docstring)."""

    name: ClassVar[str] = "graph-backup"

    def __init__(self, session: GraphSession, services: Mapping[str, Service]) -> None:
        if not services:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = dict(services)

    def close(self) -> None:
        self.session.close()

    def check(self) -> None:
        """Sign in, read the directory and, per service, the first scope's data."""
        self.session._token.token(force_refresh=True)
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
