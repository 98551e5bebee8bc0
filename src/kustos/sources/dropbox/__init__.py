"""Dropbox Business backup through a team app (team token, as-member calls).

``build_backup(settings, secret, egress, services)`` and ``build_restore(settings, secret, egress)``
are the dropbox kind's hooks. Service ``files``: every member's files and folders and the team
folders (``files.py``); restore uploads into the same or another member (``restore.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kustos.sources.dropbox.connector import DropboxBackupConnector, DropboxDiscovery
from kustos.sources.dropbox.files import FilesService
from kustos.sources.dropbox.session import DropboxSession
from kustos.sources.egress import EgressPolicy

SERVICES = ("files",)


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> DropboxSession:
    return DropboxSession(str(settings["app_key"]), secret, endpoint=settings.get("endpoint") or None,
                          content_endpoint=settings.get("content_endpoint") or None, egress=egress)


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> DropboxBackupConnector:
    wanted = list(dict.fromkeys(services))
    unknown = [name for name in wanted if name not in SERVICES]
    if unknown:
        raise ValueError(f"unknown Dropbox backup service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    session = session_for(settings, secret, egress)
    return DropboxBackupConnector(session, {name: FilesService(session) for name in wanted})


def build_discovery(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> DropboxDiscovery:
    """The kind's plain connector: check and scopes of the backup connector, no archive fetch."""
    return DropboxDiscovery(build_backup(settings, secret, egress, SERVICES))


__all__ = ["DropboxDiscovery", "build_discovery", "SERVICES", "DropboxBackupConnector", "DropboxSession", "FilesService", "build_backup", "session_for"]
