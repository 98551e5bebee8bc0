"""Box (enterprise app with client credentials grant): backup of every user's files and folders.

Backup only (``services=("backup",)``); the scopes are the enterprise's users (service ``files``) and the
enterprise itself (service ``enterprise``: metadata templates), see ``sources/box/``; restore writes files back
into the same or another user with their comments, metadata and collaborations, and missing templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import PASSWORD, TEXT, URL, Field, Kind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

_build_backup = Deferred("kustos.sources.box:build_backup")
_build_discovery = Deferred("kustos.sources.box:build_discovery")
_build_restore = Deferred("kustos.sources.box:build_restore")
BACKUP_SERVICES = ("files", "enterprise")


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    """The connection test and scope discovery (backup only: an archive run over it fetches nothing)."""
    connector: Connector = _build_discovery(config, secret, egress)
    return connector


def build_backup(config: dict[str, Any], secret: str, egress: EgressPolicy, services: Iterable[str]) -> Connector:
    connector: Connector = _build_backup(config, secret, egress, services)
    return connector


def build_restore(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    return _build_restore(config, secret, egress)


KIND = Kind(
    name="box", label="Box", label_de="Box", build=build,
    services=("backup",), scope_kinds=("user", "enterprise"),
    backup_services=BACKUP_SERVICES, build_backup=build_backup, build_restore=build_restore,
    description="Backup of every Box user's files and folders with comments, metadata and collaborations, "
                "and of the enterprise's metadata templates.",
    description_de="Sicherung der Dateien und Ordner aller Box-Benutzer mit Kommentaren, Metadaten und "
                   "Mitarbeitern sowie der Metadatenvorlagen des Unternehmens.",
    fields=(
        Field("enterprise_id", TEXT, "Enterprise ID", "Enterprise-ID", required=True, secret_bound="enterprise id",
              summary=True, max_length=100, placeholder="123456789"),
        Field("client_id", TEXT, "Client ID", "Client-ID", required=True, max_length=100),
        Field("client_secret", PASSWORD, "Client secret", "Client-Geheimnis", required=True,
              noun="client secret", max_length=2000),
        Field("endpoint", URL, "API endpoint", "API-Endpunkt", secret_bound="endpoint", dashboard=False,
              cli_help="Box API endpoint (https://api.box.com; test emulators)"),
        Field("upload_endpoint", URL, "Upload endpoint", "Upload-Endpunkt", secret_bound="upload endpoint",
              dashboard=False, cli_help="Box upload endpoint (https://upload.box.com/api; test emulators)"),
    ),
    steps=(("In the Box Developer Console: Create Platform App → Custom App → Server Authentication "
            "(Client Credentials Grant).",
            "In der Box Developer Console: Plattform-App erstellen → Benutzerdefinierte App → "
            "Serverauthentifizierung (Client Credentials Grant)."),
           ("Configuration: App Access Level \"App + Enterprise Access\"; scopes \"Read and write all files and "
            "folders stored in Box\", \"Manage users\" and \"Manage enterprise properties\" (metadata "
            "templates); advanced features \"Make API calls using the as-user header\". Save the changes.",
            "Konfiguration: App-Zugriffsebene „App + Enterprise Access“; Bereiche „Read and write all files and "
            "folders stored in Box“, „Manage users“ und „Manage enterprise properties“ (Metadatenvorlagen); "
            "erweiterte Funktion „Make API calls using the as-user header“. Änderungen speichern."),
           ("Authorization → Review and Submit; a Box admin then authorises the app in the Admin Console "
            "(Apps → Platform Apps Manager → Server Authentication Apps, Add App with the Client ID).",
            "Autorisierung → Überprüfen und Senden; anschließend autorisiert ein Box-Administrator die App in der "
            "Admin Console (Apps → Platform Apps Manager → Server Authentication Apps, App mit der Client-ID "
            "hinzufügen)."),
           ("Copy the Client ID and Client Secret (Configuration → OAuth 2.0 Credentials) and the Enterprise ID "
            "(General Settings → App Info) and enter them here.",
            "Client-ID und Client-Geheimnis (Konfiguration → OAuth 2.0 Credentials) sowie die Enterprise-ID "
            "(Allgemeine Einstellungen → App-Info) kopieren und hier eintragen.")),
    display_name=lambda config: config.get("enterprise_id") or "",
)
