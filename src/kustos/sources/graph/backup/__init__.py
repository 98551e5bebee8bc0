"""Microsoft 365 backup through Microsoft Graph: one connector over the selected services.

``build_backup(settings, secret, egress, services)`` is what the graph kind's ``build_backup`` hook
calls. Services: ``onedrive`` (files and folders, streamed), ``mail`` (every folder, MIME). Every
session of a tenant in this process shares one throttle (``throttle.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.connector import GraphBackupConnector, Service
from kustos.sources.graph.backup.mail import MailService
from kustos.sources.graph.backup.onedrive import OneDriveService
from kustos.sources.graph.backup.session import GraphSession

SERVICES: Mapping[str, Callable[[GraphSession], Service]] = {
    "mail": MailService,
    "onedrive": OneDriveService,
}


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> GraphBackupConnector:
    """The backup connector of a Microsoft 365 connection for ``services`` (names from ``SERVICES``)."""
    wanted = list(dict.fromkeys(services))
    unknown = [name for name in wanted if name not in SERVICES]
    if unknown:
        raise ValueError(f"unknown Microsoft 365 backup service(s): {', '.join(unknown)}; "
                         f"known: {', '.join(SERVICES)}")
    endpoint = settings.get("endpoint") or None
    session = GraphSession(str(settings["tenant_id"]), str(settings["client_id"]), secret, endpoint=endpoint,
                           login_endpoint=settings.get("login_endpoint") or None, egress=egress)
    return GraphBackupConnector(session, {name: SERVICES[name](session) for name in wanted})


__all__ = ["SERVICES", "GraphBackupConnector", "GraphSession", "MailService", "OneDriveService", "build_backup"]
