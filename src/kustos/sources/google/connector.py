"""One backup connector multiplexing the selected Google Workspace services of a connection.

Scope ids are prefixed by the service (``drive:<user e-mail>``, ``drive:shared:<drive id>``,
``calendar:<user e-mail>``, ...) so one connection's cursors never collide; ``Scope.meta["service"]``
names the service too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import ClassVar, Protocol

from kustos.sources.base import Batch, ConnectorError, Cursor, Scope
from kustos.sources.gmail.connector import DIRECTORY_SCOPE
from kustos.sources.google.session import GoogleSession


class Service(Protocol):
    name: ClassVar[str]

    def scopes(self) -> Iterable[Scope]: ...

    def check(self, scope: Scope) -> None: ...

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]: ...


class GoogleBackupConnector:
    """Connector over the services of one Google Workspace connection (see the module docstring)."""

    name: ClassVar[str] = "google-backup"

    def __init__(self, session: GoogleSession, services: Mapping[str, Service]) -> None:
        if not services:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = dict(services)

    def close(self) -> None:
        self.session.close()

    def check(self) -> None:
        """Delegation for the directory, then per service the first scope's data."""
        self.session.tokens.for_user(self.session.admin_email, DIRECTORY_SCOPE).token(force_refresh=True)
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
        name, sep, inner = scope.id.partition(":")
        if not sep or not inner:
            raise ConnectorError(f"backup scope id {scope.id!r} does not start with a service name")
        service = self.services.get(name)
        if service is None:
            raise ConnectorError(f"backup service {name!r} is not selected for this connection")
        yield from service.fetch(replace(scope, id=inner), cursor)
