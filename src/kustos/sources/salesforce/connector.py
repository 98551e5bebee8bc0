"""The Salesforce backup connector: scope ids ``<service>:<org id>`` (only ``data`` so far)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Cursor, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.salesforce.backup import DataService
from kustos.sources.salesforce.session import SalesforceSession

SERVICES = {"data": DataService}


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> SalesforceSession:
    return SalesforceSession(str(settings["client_id"]), str(settings["username"]), secret,
                             login=settings.get("endpoint") or None, egress=egress)


class SalesforceBackupConnector:
    name: ClassVar[str] = "salesforce-backup"

    def __init__(self, session: SalesforceSession, services: Iterable[str]) -> None:
        wanted = list(dict.fromkeys(services))
        unknown = [s for s in wanted if s not in SERVICES]
        if unknown:
            raise ValueError(f"unknown Salesforce backup service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}")
        if not wanted:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = {name: SERVICES[name](session) for name in wanted}

    def close(self) -> None:
        self.session.close()

    def check(self) -> None:
        for service in self.services.values():
            for scope in service.scopes():
                service.check(scope)

    def scopes(self) -> Iterator[Scope]:
        for name, service in self.services.items():
            for scope in service.scopes():
                yield replace(scope, id=f"{name}:{scope.id}", meta={**scope.meta, "service": name,
                                                                     "account": scope.id})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        name, _, inner = scope.id.partition(":")
        service = self.services.get(name)
        if service is None:
            raise ConnectorError(f"backup service {name!r} is not selected for this connection")
        yield from service.fetch(replace(scope, id=inner), cursor)


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> SalesforceBackupConnector:
    return SalesforceBackupConnector(session_for(settings, secret, egress), services)
