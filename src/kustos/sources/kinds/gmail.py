"""Google Workspace: every user of a domain (service account, domain-wide delegation).

One connection serves archiving (Gmail API, ``kustos.sources.gmail``) and backup (Drive, Calendar,
People and Tasks APIs, ``kustos.sources.google``; ``backup_services``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import EMAIL, JSON_FILE, URL, Field, Kind, KindError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

_Connector = Deferred("kustos.sources.gmail:GmailConnector")
_build_backup = Deferred("kustos.sources.google:build_backup")
_build_restore = Deferred("kustos.sources.google.restore:build_restore")
_build_mailbox_writer = Deferred("kustos.sources.google.mailbox_writer:build_mailbox_writer")
_build_mailbox_cleaner = Deferred("kustos.sources.google.cleaner:build_mailbox_cleaner")
# The backup services that work end to end (sources/google/; contract tests in
# tests/contract/test_google_backup_*.py).
BACKUP_SERVICES = ("drive", "calendar", "contacts", "tasks", "gmail")


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    return _Connector(json.loads(secret), config["admin_email"], endpoint=config.get("endpoint") or None,
                      egress=egress)


def build_backup(config: dict[str, Any], secret: str, egress: EgressPolicy, services: Iterable[str]) -> Connector:
    """One connector over the selected backup services; scope ids are ``<service>:<user e-mail>``."""
    connector: Connector = _build_backup(config, secret, egress, services)
    return connector


def build_restore(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    """The writer that puts backed-up Drive files, events, contacts and tasks back."""
    return _build_restore(config, secret, egress)


def check_key(secret: str) -> str:
    """The service-account key as canonical JSON; raises KindError naming what is wrong."""
    try:
        info = json.loads(secret)
    except ValueError:
        raise KindError("The key file is not valid JSON.", "Die Schlüsseldatei ist kein gültiges JSON.") from None
    if not isinstance(info, dict) or not info.get("client_email") or not info.get("private_key"):
        raise KindError("The key file lacks client_email or private_key.",
                        "In der Schlüsseldatei fehlt client_email oder private_key.")
    return json.dumps(info)


def token_uri(config: dict[str, Any], secret: str | None) -> list[Any]:
    """A key file names its own token URI: it is a destination too."""
    if not secret:
        return []
    try:
        return [json.loads(secret).get("token_uri")]
    except (ValueError, AttributeError):
        return []


KIND = Kind(
    name="gmail", label="Google Workspace", label_de="Google Workspace", build=build, scope_kinds=("user",),
    services=("archive", "backup"), backup_services=BACKUP_SERVICES, build_backup=build_backup,
    build_restore=build_restore, build_mailbox_writer=_build_mailbox_writer,
    build_mailbox_cleaner=_build_mailbox_cleaner,
    fields=(
        Field("admin_email", EMAIL, "Workspace admin e-mail", "E-Mail eines Workspace-Administrators", required=True,
              summary=True, max_length=320,
              help="The service account impersonates this admin to list the users.",
              help_de="Das Dienstkonto handelt im Namen dieses Administrators, um die Benutzer aufzulisten."),
        Field("service_account", JSON_FILE, "Service-account key (JSON)", "Dienstkonto-Schlüssel (JSON)",
              required=True, noun="service-account key", max_upload=64 * 1024,
              help="The key file of the service account with domain-wide delegation.",
              help_de="Die Schlüsseldatei des Dienstkontos mit domainweiter Delegierung."),
        Field("endpoint", URL, "API endpoint", "API-Endpunkt", secret_bound="endpoint", dashboard=False,
              cli_help="API endpoint for test emulators"),
    ),
    steps=(("In Google Cloud: create a service account, enable the Gmail API and Admin SDK API, and create a JSON "
            "key.",
            "In Google Cloud: ein Dienstkonto anlegen, die Gmail API und die Admin SDK API aktivieren und einen "
            "JSON-Schlüssel erstellen."),
           ("In the Admin console: Security → API controls → Domain-wide delegation → add the service account's "
            "client ID with the scopes https://www.googleapis.com/auth/gmail.readonly and "
            "https://www.googleapis.com/auth/admin.directory.user.readonly.",
            "In der Admin-Konsole: Sicherheit → API-Steuerung → Domainweite Delegierung → die Client-ID des "
            "Dienstkontos mit den Bereichen https://www.googleapis.com/auth/gmail.readonly und "
            "https://www.googleapis.com/auth/admin.directory.user.readonly hinzufügen."),
           ("For backup, also enable the Drive, Calendar, People and Tasks APIs and add the scopes "
            "https://www.googleapis.com/auth/drive, https://www.googleapis.com/auth/calendar, "
            "https://www.googleapis.com/auth/contacts and https://www.googleapis.com/auth/tasks (read and restore; "
            "read-only backups need only their .readonly variants).",
            "Für die Sicherung zusätzlich die Drive, Calendar, People und Tasks APIs aktivieren und die Bereiche "
            "https://www.googleapis.com/auth/drive, https://www.googleapis.com/auth/calendar, "
            "https://www.googleapis.com/auth/contacts und https://www.googleapis.com/auth/tasks hinzufügen (Sichern "
            "und Wiederherstellen; nur sichernde Verbindungen brauchen lediglich die .readonly-Varianten)."),
           ("For mailbox cleanup (archived mail deleted at the server), also add the scope "
            "https://www.googleapis.com/auth/gmail.modify (move to the trash) or https://mail.google.com/ (delete "
            "for good).",
            "Für die Postfachbereinigung (archivierte E-Mails auf dem Server löschen) zusätzlich den Bereich "
            "https://www.googleapis.com/auth/gmail.modify (in den Papierkorb verschieben) oder "
            "https://mail.google.com/ (endgültig löschen) hinzufügen."),
           ("Enter an admin's e-mail address and upload the JSON key here.",
            "Geben Sie hier die E-Mail-Adresse eines Administrators ein und laden Sie den JSON-Schlüssel hoch.")),
    extra_destinations=token_uri, secret_has_destinations=True, check_secret=check_key,
    display_name=lambda config: config.get("admin_email") or "",
)
