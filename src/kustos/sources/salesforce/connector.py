"""The Salesforce backup connector: scope ids ``<service>:<org id>`` (``data``: records, files and attachments;
``metadata``: the org's configuration through Metadata API retrieve)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kustos.sources.egress import EgressPolicy
from kustos.sources.multiplex import ServiceConnector
from kustos.sources.salesforce.backup import DataService
from kustos.sources.salesforce.metadata import MetadataService
from kustos.sources.salesforce.session import SalesforceSession

SERVICES: dict[str, type[DataService] | type[MetadataService]] = {"data": DataService, "metadata": MetadataService}


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> SalesforceSession:
    return SalesforceSession(str(settings["client_id"]), str(settings["username"]), secret,
                             login=settings.get("endpoint") or None, egress=egress)


class SalesforceBackupConnector(ServiceConnector):
    name: ClassVar[str] = "salesforce-backup"

    def __init__(self, session: SalesforceSession, services: Iterable[str],
                 options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """``options``: keyword arguments per service (e.g. ``{"data": {"bulk_threshold": 0}}``)."""
        wanted = list(dict.fromkeys(services))
        unknown = [s for s in wanted if s not in SERVICES]
        if unknown:
            raise ValueError(f"unknown Salesforce backup service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}")
        options = options or {}
        super().__init__(session, {name: SERVICES[name](session, **options.get(name, {})) for name in wanted})

    def check(self) -> None:
        """Every scope of every service (one org: cheap)."""
        for service in self.services.values():
            for scope in service.scopes():
                service.check(scope)


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> SalesforceBackupConnector:
    return SalesforceBackupConnector(session_for(settings, secret, egress), services)
