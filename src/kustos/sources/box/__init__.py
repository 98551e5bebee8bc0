"""Box backup (enterprise app, client credentials grant): every user's files and folders As-User.

``build_backup(settings, secret, egress, services)`` and ``build_restore(settings, secret, egress)`` are what
the ``box`` kind's hooks call. Services: ``files`` (every user's files and folders, ``files.py``) and
``enterprise`` (the enterprise's metadata templates, ``templates.py``). Restore: ``restore.py`` (files and
folders with their comments, metadata instances and collaborations; templates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kustos.sources.box.connector import BoxBackupConnector, BoxDiscovery
from kustos.sources.box.files import FilesService
from kustos.sources.box.restore import BoxRestoreWriter
from kustos.sources.box.session import BoxSession
from kustos.sources.box.templates import TemplatesService
from kustos.sources.egress import EgressPolicy
from kustos.sources.multiplex import Service

SERVICES: Mapping[str, Callable[[BoxSession], Service]] = {"files": FilesService, "enterprise": TemplatesService}


def session_for(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> BoxSession:
    return BoxSession(str(settings["client_id"]), secret, str(settings["enterprise_id"]),
                      endpoint=settings.get("endpoint") or None, upload_endpoint=settings.get("upload_endpoint") or None,
                      egress=egress)


def build_backup(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None,
                 services: Iterable[str]) -> BoxBackupConnector:
    wanted = list(dict.fromkeys(services))
    unknown = [name for name in wanted if name not in SERVICES]
    if unknown:
        raise ValueError(f"unknown Box backup service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    session = session_for(settings, secret, egress)
    return BoxBackupConnector(session, {name: SERVICES[name](session) for name in wanted})


def build_discovery(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> BoxDiscovery:
    """The kind's plain connector: check and scopes of the backup connector, no archive fetch."""
    return BoxDiscovery(build_backup(settings, secret, egress, SERVICES))


def build_restore(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> BoxRestoreWriter:
    return BoxRestoreWriter(session_for(settings, secret, egress))


__all__ = ["SERVICES", "BoxBackupConnector", "BoxDiscovery", "BoxRestoreWriter", "BoxSession", "FilesService",
           "TemplatesService", "build_backup", "build_discovery", "build_restore"]
