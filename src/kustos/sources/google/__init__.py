"""Google Workspace backup through the Drive, Calendar, People and Tasks APIs (service account with
domain-wide delegation, the same key the Gmail archive uses).

``build_backup(settings, secret, egress, services)`` is what the gmail kind's ``build_backup`` hook
calls. Services: ``drive`` (My Drive and shared drives; native Google files exported to OOXML and
PDF), ``calendar``, ``contacts``, ``tasks`` (records as the APIs' JSON, see ``records.py``), ``gmail``
(every message as raw RFC 822 with its labels, ``gmail.py``).
``build_restore`` (``restore.py``) puts them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kustos.sources.egress import EgressPolicy
from kustos.sources.google.connector import GoogleBackupConnector, Service
from kustos.sources.google.drive import DriveService
from kustos.sources.google.gmail import GmailService
from kustos.sources.google.records import CalendarService, ContactsService, TasksService
from kustos.sources.google.session import GoogleSession

SERVICES: Mapping[str, Callable[[GoogleSession], Service]] = {
    "drive": DriveService,
    "calendar": CalendarService,
    "contacts": ContactsService,
    "tasks": TasksService,
    "gmail": GmailService,
}


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> GoogleSession:
    admin = str(settings.get("admin_email") or settings.get("admin") or "")
    if not admin:
        raise ValueError("the Google Workspace connection names no admin e-mail")
    return GoogleSession(json.loads(secret), admin, endpoint=settings.get("endpoint") or None, egress=egress)


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> GoogleBackupConnector:
    """The backup connector of a Google Workspace connection for ``services`` (names from ``SERVICES``)."""
    wanted = list(dict.fromkeys(services))
    unknown = [name for name in wanted if name not in SERVICES]
    if unknown:
        raise ValueError(f"unknown Google Workspace backup service(s): {', '.join(unknown)}; "
                         f"known: {', '.join(SERVICES)}")
    session = session_for(settings, secret, egress)
    return GoogleBackupConnector(session, {name: SERVICES[name](session) for name in wanted})


__all__ = ["SERVICES", "CalendarService", "ContactsService", "DriveService", "GmailService", "GoogleBackupConnector",
           "GoogleSession", "TasksService", "build_backup", "session_for"]
