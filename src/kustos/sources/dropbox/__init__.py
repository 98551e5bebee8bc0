"""Dropbox Business backup through a team app (team token, as-member calls).

``build_backup(settings, secret, egress, services)`` and ``build_restore(settings, secret, egress)``
are the dropbox kind's hooks. Service ``files``: every member's files and folders, the team
folders, the shared folders members mounted and the team's file property templates (``files.py``,
with sharing metadata from ``sharing.py`` and templates from ``properties.py``); restore uploads into
the same or another member and re-applies members and properties (``restore.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kustos.sources.dropbox.connector import DropboxBackupConnector, DropboxDiscovery
from kustos.sources.dropbox.files import FilesService
from kustos.sources.dropbox.session import DropboxSession
from kustos.sources.egress import EgressPolicy

SERVICES = ("files",)


REFRESH_TOKEN = "refresh_token"  # setting ``sign_in``: the secret is a refresh token (else the app secret)


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> DropboxSession:
    """The team app's session: client credentials (the secret is the app secret) or, with
    ``sign_in: refresh_token``, the admin's long-lived refresh token (the secret)."""
    refresh = settings.get("sign_in") == REFRESH_TOKEN
    return DropboxSession(str(settings["app_key"]), "" if refresh else secret,
                          endpoint=settings.get("endpoint") or None,
                          content_endpoint=settings.get("content_endpoint") or None, egress=egress,
                          refresh_token=secret if refresh else None)


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


__all__ = ["REFRESH_TOKEN", "DropboxDiscovery", "build_discovery", "SERVICES", "DropboxBackupConnector", "DropboxSession", "FilesService", "build_backup", "session_for"]
