"""Dropbox Business through a team app: every member's files and folders, and the team folders.

Backup only (``services=("backup",)``); the scopes are the team's members and team folders. The
secret is the app secret; the app key is a setting. ``endpoint`` / ``content_endpoint`` point at
test emulators (default: api.dropboxapi.com and content.dropboxapi.com).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import PASSWORD, TEXT, URL, Field, Kind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

API = "https://api.dropboxapi.com"
CONTENT = "https://content.dropboxapi.com"
_build_backup = Deferred("kustos.sources.dropbox:build_backup")
_build_discovery = Deferred("kustos.sources.dropbox:build_discovery")
_build_restore = Deferred("kustos.sources.dropbox.restore:build_restore")
BACKUP_SERVICES = ("files",)


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    endpoint = config.get("endpoint") or API
    content = config.get("content_endpoint") or (endpoint if config.get("endpoint") else CONTENT)
    return {**config, "endpoint": endpoint, "content_endpoint": content}


def build_backup(config: dict[str, Any], secret: str, egress: EgressPolicy, services: Iterable[str]) -> Connector:
    """One connector over the selected services; scope ids are ``files:<team member id>`` and
    ``files:teamfolder:<namespace id>``."""
    connector: Connector = _build_backup(_settings(config), secret, egress, services)
    return connector


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    """The connection test and scope discovery (backup only: an archive run over it fetches nothing)."""
    connector: Connector = _build_discovery(_settings(config), secret, egress)
    return connector


def build_restore(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    """The writer that uploads backed-up files into the same or another member."""
    return _build_restore(_settings(config), secret, egress)


KIND = Kind(
    name="dropbox", label="Dropbox Business", label_de="Dropbox Business", build=build,
    services=("backup",), scope_kinds=("member", "teamfolder"),
    backup_services=BACKUP_SERVICES, build_backup=build_backup, build_restore=build_restore,
    fields=(
        Field("app_key", TEXT, "App key", "App-Schlüssel (App key)", required=True, summary=True, max_length=100,
              secret_bound="app key"),
        Field("app_secret", PASSWORD, "App secret", "App-Geheimnis (App secret)", required=True,
              noun="app secret", max_length=500),
        Field("endpoint", URL, "API endpoint", "API-Endpunkt", secret_bound="endpoint", dashboard=False,
              cli_help="Dropbox API endpoint for test emulators"),
        Field("content_endpoint", URL, "Content endpoint", "Inhalts-Endpunkt", secret_bound="content endpoint",
              dashboard=False, cli_help="Dropbox content endpoint (downloads, uploads) for test emulators"),
    ),
    steps=(("In the Dropbox App Console (dropbox.com/developers/apps): Create app → Scoped access → Full Dropbox, "
            "and choose a team-linked (business) app.",
            "In der Dropbox App Console (dropbox.com/developers/apps): „Create app“ → „Scoped access“ → "
            "„Full Dropbox“ und eine teamweite (Business-)App wählen."),
           ("Permissions tab: team_info.read, members.read, team_data.member, team_data.team_space, "
            "files.metadata.read, files.content.read, sharing.read and, for restores, files.content.write; "
            "then Submit.",
            "Reiter „Permissions“: team_info.read, members.read, team_data.member, team_data.team_space, "
            "files.metadata.read, files.content.read, sharing.read und für Wiederherstellungen "
            "files.content.write; danach „Submit“."),
           ("A team admin links the app to the team (Admin console → Settings → App integrations).",
            "Ein Team-Administrator verknüpft die App mit dem Team (Admin-Konsole → Einstellungen → "
            "App-Integrationen)."),
           ("Settings tab: copy the App key and the App secret and enter them here.",
            "Reiter „Settings“: App key und App secret kopieren und hier eintragen.")),
    display_name=lambda config: f"Dropbox {config.get('app_key') or ''}".strip(),
)
