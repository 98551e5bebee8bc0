"""Microsoft 365 through Microsoft Graph: every mailbox of a tenant (app registration, client secret).

One connection serves archiving now and backup later (``services``); the scopes it discovers are
the tenant's users (drives, sites and teams come with the backup workloads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import BOOL, CHOICE, PASSWORD, TEXT, URL, Field, Kind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

GRAPH = "https://graph.microsoft.com"
LOGIN = "https://login.microsoftonline.com"
# The one top folder the In-Place Archive's folders appear under (named in the customer's language).
ARCHIVE_FOLDERS = (("Online Archive", "Online Archive", "Online Archive"),
                   ("Online-Archiv", "Online-Archiv", "Online-Archiv"))
ARCHIVE_FOLDER = ARCHIVE_FOLDERS[0][0]
_Connector = Deferred("kustos.sources.graph:GraphMailConnector")
_build_backup = Deferred("kustos.sources.graph.backup:build_backup")
_build_restore = Deferred("kustos.sources.graph.backup.restore_writer:build_restore")
_build_mailbox_writer = Deferred("kustos.sources.graph.mailbox_writer:build_mailbox_writer")
_build_mailbox_cleaner = Deferred("kustos.sources.graph.cleaner:build_mailbox_cleaner")
# The backup services that work end to end (sources/graph/backup/; contract tests in
# tests/contract/test_graph_backup_*.py).
BACKUP_SERVICES = ("mail", "calendar", "contacts", "tasks", "onedrive", "sharepoint", "teams")


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    endpoint = config.get("endpoint") or GRAPH
    login = config.get("login_endpoint") or (endpoint if config.get("endpoint") else LOGIN)
    return _Connector(tenant_id=config["tenant_id"], client_id=config["client_id"], client_secret=secret,
                      endpoint=endpoint, login_endpoint=login, egress=egress,
                      include_recoverable=bool(config.get("recoverable_items", True)),
                      archive_folder=str(config.get("archive_folder") or ARCHIVE_FOLDER))


def build_backup(config: dict[str, Any], secret: str, egress: EgressPolicy, services: Iterable[str]) -> Connector:
    """One connector over the selected backup services; scope ids are ``<service>:<user id>``."""
    endpoint = config.get("endpoint") or GRAPH
    login = config.get("login_endpoint") or (endpoint if config.get("endpoint") else LOGIN)
    connector: Connector = _build_backup({**config, "endpoint": endpoint, "login_endpoint": login,
                                          "archive_folder": config.get("archive_folder") or ARCHIVE_FOLDER},
                                         secret, egress, services)
    return connector


def build_restore(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    """The writer that puts backed-up items back (files, mail, events, contacts, tasks)."""
    endpoint = config.get("endpoint") or GRAPH
    login = config.get("login_endpoint") or (endpoint if config.get("endpoint") else LOGIN)
    return _build_restore({**config, "endpoint": endpoint, "login_endpoint": login}, secret, egress)


KIND = Kind(
    name="graph", label="Microsoft 365", label_de="Microsoft 365", build=build,
    services=("archive", "backup"), scope_kinds=("user",),
    backup_services=BACKUP_SERVICES, build_backup=build_backup, build_restore=build_restore,
    build_mailbox_writer=_build_mailbox_writer,
    build_mailbox_cleaner=_build_mailbox_cleaner,
    fields=(
        Field("tenant_id", TEXT, "Tenant ID", "Mandanten-ID (Tenant ID)", required=True, secret_bound="tenant id",
              summary=True, max_length=100, placeholder="00000000-0000-0000-0000-000000000000"),
        Field("client_id", TEXT, "Application (client) ID", "Anwendungs-ID (Client ID)", required=True,
              max_length=100),
        Field("client_secret", PASSWORD, "Client secret", "Geheimer Clientschlüssel", required=True,
              noun="client secret", max_length=2000),
        Field("endpoint", URL, "Graph endpoint", "Graph-Endpunkt", secret_bound="endpoint", dashboard=False,
              cli_help="Graph endpoint for national clouds and test emulators"),
        Field("login_endpoint", URL, "Login endpoint", "Anmelde-Endpunkt", secret_bound="login endpoint",
              dashboard=False),
        Field("recoverable_items", BOOL, "Read Recoverable Items", "Wiederherstellbare Elemente lesen", default=True,
              dashboard=False, cli="--no-recoverable-items",
              cli_help="do not archive Recoverable Items (Deletions, Purges, Versions); default: archive them",
              help="Also archive Deletions, Purges and Versions (mail deleted from Deleted Items).",
              help_de="Auch Deletions, Purges und Versions archivieren (aus „Gelöschte Elemente“ gelöschte "
                      "E-Mails)."),
        Field("archive_folder", CHOICE, "Online Archive folder", "Ordner des Online-Archivs",
              default=ARCHIVE_FOLDER, default_de="Online-Archiv", choices=ARCHIVE_FOLDERS,
              help="The top folder the folders of each user's Online Archive (In-Place Archive) appear under.",
              help_de="Der oberste Ordner, unter dem die Ordner des Online-Archivs (In-Place-Archiv) jedes "
                      "Benutzers erscheinen.",
              cli_help="top folder of the Online Archive's folders: 'Online Archive' (default) or 'Online-Archiv'"),
    ),
    steps=(("In Microsoft Entra admin center: App registrations → New registration (single tenant).",
            "Im Microsoft Entra Admin Center: App-Registrierungen → Neue Registrierung (einzelner Mandant)."),
           ("API permissions → Microsoft Graph → Application permissions: Mail.Read, User.Read.All, "
            "MailboxSettings.Read (shared and resource mailboxes) and Group.Read.All (Microsoft 365 group "
            "mailboxes); then grant admin consent.",
            "API-Berechtigungen → Microsoft Graph → Anwendungsberechtigungen: Mail.Read, User.Read.All, "
            "MailboxSettings.Read (freigegebene und Ressourcenpostfächer) und Group.Read.All (Postfächer der "
            "Microsoft 365-Gruppen); danach die Administratorzustimmung erteilen."),
           ("For backup, also: Files.Read.All, Sites.Read.All, Calendars.Read, Contacts.Read, Tasks.Read.All, "
            "Group.Read.All, Team.ReadBasic.All, Channel.ReadBasic.All, ChannelMessage.Read.All and Chat.Read.All "
            "(application permissions, admin consent).",
            "Für die Sicherung zusätzlich: Files.Read.All, Sites.Read.All, Calendars.Read, Contacts.Read, "
            "Tasks.Read.All, Group.Read.All, Team.ReadBasic.All, Channel.ReadBasic.All, ChannelMessage.Read.All und "
            "Chat.Read.All (Anwendungsberechtigungen, Administratorzustimmung)."),
           ("For mailbox cleanup (archived mail deleted at the server), also Mail.ReadWrite (application "
            "permission, admin consent).",
            "Für die Postfachbereinigung (archivierte E-Mails auf dem Server löschen) zusätzlich Mail.ReadWrite "
            "(Anwendungsberechtigung, Administratorzustimmung)."),
           ("Certificates & secrets → New client secret; copy its value.",
            "Zertifikate & Geheimnisse → Neuer geheimer Clientschlüssel; den Wert kopieren."),
           ("Enter the Directory (tenant) ID, the Application (client) ID and the secret here.",
            "Tragen Sie hier die Verzeichnis-ID (Mandant), die Anwendungs-ID (Client) und den geheimen Schlüssel "
            "ein.")),
    display_name=lambda config: config.get("tenant_id") or "",
)
