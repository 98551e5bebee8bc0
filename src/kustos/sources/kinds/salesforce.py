"""Salesforce: the org's data through a connected app (OAuth 2.0 JWT bearer flow with a certificate).

Backup only (``services=("backup",)``); one scope, the org. Backup service ``data``: every object,
custom objects included, as records, plus files (ContentVersion) and attachments as bytes; ``metadata``:
the org's configuration (Metadata API retrieve), one item per file, for download (not restored into an org).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import PASSWORD, TEXT, URL, Field, Kind, KindError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

LOGIN = "https://login.salesforce.com"
BACKUP_SERVICES = ("data", "metadata")
_build_backup = Deferred("kustos.sources.salesforce.connector:build_backup")
_build_restore = Deferred("kustos.sources.salesforce.restore:build_restore")
_build_seeder = Deferred("kustos.sources.salesforce.seed:build_seeder")


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "endpoint": config.get("endpoint") or LOGIN}


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    connector: Connector = _build_backup(_settings(config), secret, egress, BACKUP_SERVICES)
    return connector


def build_backup(config: dict[str, Any], secret: str, egress: EgressPolicy, services: Iterable[str]) -> Connector:
    connector: Connector = _build_backup(_settings(config), secret, egress, services)
    return connector


def build_restore(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    return _build_restore(_settings(config), secret, egress)


def build_seeder(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    return _build_seeder(_settings(config), secret, egress)


_PEM = re.compile(r"-----BEGIN ((?:RSA |ENCRYPTED )?PRIVATE KEY)-----(.*?)-----END \1-----", re.S)


def check_key(secret: str) -> str:
    """The PEM private key, re-wrapped: a key pasted into a one-line field loses its line breaks."""
    found = _PEM.search(secret.strip())
    if found is None or not found.group(2).strip():
        raise KindError("the private key must be the PEM private key of the connected app's certificate",
                        "Der private Schlüssel muss der PEM-Schlüssel zum Zertifikat der verbundenen App sein")
    if found.group(1).startswith("ENCRYPTED"):
        raise KindError("the private key is encrypted; export it without a passphrase (openssl pkey -in KEY)",
                        "Der private Schlüssel ist verschlüsselt; exportieren Sie ihn ohne Passphrase "
                        "(openssl pkey -in KEY)")
    body = re.sub(r"\s+", "", found.group(2))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {found.group(1)}-----", *lines, f"-----END {found.group(1)}-----"]) + "\n"


KIND = Kind(
    name="salesforce", label="Salesforce", label_de="Salesforce", build=build,
    services=("backup",), scope_kinds=("org",),
    backup_services=BACKUP_SERVICES, build_backup=build_backup, build_restore=build_restore, build_seeder=build_seeder,
    check_secret=check_key, alert_partition="folder",
    fields=(
        Field("client_id", TEXT, "Consumer key", "Consumer Key (Verbraucherschlüssel)", required=True,
              max_length=300),
        Field("username", TEXT, "Integration user name", "Benutzername des Integrationsbenutzers", required=True,
              summary=True, secret_bound="user name", max_length=200, placeholder="backup@example.com"),
        Field("private_key", PASSWORD, "Private key (PEM)", "Privater Schlüssel (PEM)", required=True,
              noun="private key", max_length=20000),
        Field("endpoint", URL, "Login URL", "Anmelde-URL", secret_bound="login URL",
              help="https://login.salesforce.com, https://test.salesforce.com for a sandbox, or the My Domain URL",
              help_de="https://login.salesforce.com, https://test.salesforce.com für eine Sandbox oder die "
                      "My-Domain-URL", cli_help="Login URL (sandbox, My Domain or a test emulator)"),
    ),
    steps=(("Create a certificate and its private key, e.g. openssl req -x509 -newkey rsa:2048 -nodes -keyout "
            "kustos.key -out kustos.crt -days 730.",
            "Erzeugen Sie ein Zertifikat mit privatem Schlüssel, z. B. openssl req -x509 -newkey rsa:2048 -nodes "
            "-keyout kustos.key -out kustos.crt -days 730."),
           ("In Salesforce Setup: App Manager → New Connected App; enable OAuth settings, tick \"Use digital "
            "signatures\" and upload kustos.crt; OAuth scopes: \"Manage user data via APIs (api)\" and \"Perform "
            "requests at any time (refresh_token, offline_access)\".",
            "In Salesforce Setup: App-Manager → Neue verbundene App; OAuth-Einstellungen aktivieren, \"Digitale "
            "Signaturen verwenden\" ankreuzen und kustos.crt hochladen; OAuth-Bereiche: \"Benutzerdaten über APIs "
            "verwalten (api)\" und \"Anfragen jederzeit ausführen (refresh_token, offline_access)\"."),
           ("Manage the connected app: Permitted Users → \"Admin approved users are pre-authorized\"; add the "
            "profile or permission set of the integration user (it needs \"View All Data\" and \"Modify All "
            "Data\" for restores, and \"Modify Metadata Through Metadata API Functions\" for the metadata backup).",
            "Verbundene App verwalten: Zugelassene Benutzer → \"Vom Administrator genehmigte Benutzer sind "
            "vorautorisiert\"; das Profil oder den Berechtigungssatz des Integrationsbenutzers hinzufügen (er "
            "braucht \"Alle Daten anzeigen\", für Wiederherstellungen \"Alle Daten ändern\" und für die Sicherung der "
            "Metadaten \"Metadaten über Metadaten-API-Funktionen ändern\")."),
           ("Copy the consumer key; enter it, the integration user's name and the contents of kustos.key here.",
            "Kopieren Sie den Consumer Key; tragen Sie ihn, den Benutzernamen des Integrationsbenutzers und den "
            "Inhalt von kustos.key hier ein.")),
    display_name=lambda config: config.get("username") or "",
)
