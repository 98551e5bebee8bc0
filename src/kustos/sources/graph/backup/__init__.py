"""Microsoft 365 backup through Microsoft Graph: one connector over the selected services.

``build_backup(settings, secret, egress, services)`` is what the graph kind's ``build_backup`` hook
calls. Services: ``mail`` (every folder, MIME), ``calendar``, ``contacts``, ``tasks`` (Graph entities as
canonical JSON, see ``pim.py``), ``onedrive`` (files and folders, streamed), ``sharepoint`` (sites and subsites: libraries, lists,
pages), ``teams`` (channels with threads, channel files, group calendar; chats). Every
session of a tenant in this process shares one throttle (``throttle.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.connector import GraphBackupConnector, Service
from kustos.sources.graph.backup.mail import MailService
from kustos.sources.graph.backup.onedrive import OneDriveService
from kustos.sources.graph.backup.pim import CalendarService, ContactsService, TasksService
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.backup.sharepoint import SharePointService
from kustos.sources.graph.backup.teams import TeamsService

SERVICES: Mapping[str, Callable[[GraphSession], Service]] = {
    "mail": MailService,
    "calendar": CalendarService,
    "contacts": ContactsService,
    "tasks": TasksService,
    "onedrive": OneDriveService,
    "sharepoint": SharePointService,
    "teams": TeamsService,
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
    # Backups read the In-Place Archive always and Recoverable Items when the source asks for them.
    session.include_recoverable = bool(settings.get("recoverable_items", False))
    session.archive_folder = str(settings.get("archive_folder") or session.archive_folder)
    return GraphBackupConnector(session, {name: SERVICES[name](session) for name in wanted})


__all__ = ["SERVICES", "CalendarService", "ContactsService", "GraphBackupConnector", "GraphSession", "MailService",
           "OneDriveService", "SharePointService", "TasksService", "TeamsService",
           "build_backup"]
