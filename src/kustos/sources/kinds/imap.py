"""IMAP mailbox: all folders (or the listed ones), incrementally by UIDVALIDITY/UID."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds import mailserver
from kustos.sources.kinds.fields import INT, LIST, Field, Kind

if TYPE_CHECKING:
    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

PORTS = {"tls": 993, "starttls": 143, "none": 143}
_Connector = Deferred("kustos.sources.imap.connector:ImapConnector")
_MailboxWriter = Deferred("kustos.sources.imap.mailbox_writer:build_mailbox_writer")
_MailboxCleaner = Deferred("kustos.sources.imap.cleaner:build_mailbox_cleaner")


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    security = config.get("security", "tls")
    return _Connector(host=config["host"], port=int(config.get("port") or PORTS[security]), security=security,
                      username=config["username"], password=secret or None, include=config.get("include", []),
                      exclude=config.get("exclude", []), ssl_context=mailserver.tls_context(config),
                      timeout=float(config.get("timeout", 60)), egress=egress)


def build_mailbox_writer(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    """Restore into the source's mailbox (IMAP APPEND)."""
    return _MailboxWriter(config, secret, egress, ssl_context=mailserver.tls_context(config))


def build_mailbox_cleaner(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Any:
    """Mailbox cleanup (UID-safe delete or move to the trash)."""
    return _MailboxCleaner(config, secret, egress, ssl_context=mailserver.tls_context(config))


KIND = Kind(
    name="imap", label="IMAP", label_de="IMAP", build=build,
    fields=(*mailserver.fields("imap.example.com"),
            Field("include", LIST, "Only these folders", "Nur diese Ordner",
                  help="One per line or comma-separated; empty: all folders.",
                  help_de="Einer pro Zeile oder durch Kommas getrennt; leer: alle Ordner."),
            Field("exclude", LIST, "Skip these folders", "Diese Ordner auslassen",
                  help="For example Junk, Trash.", help_de="Zum Beispiel Junk, Trash."),
            *mailserver.tls_fields(),
            Field("delete_after_days", INT, "Delete on the server after (days)", "Auf dem Server löschen nach (Tagen)",
                  minimum=0, dashboard=False,
                  cli_help="delete messages on the server N days after they were archived and verified")),
    description="All folders are archived (or the ones you list), incrementally by UID. Use an account that can "
                "read the mailbox; for Microsoft 365 and Google prefer the tenant connectors.",
    description_de="Alle Ordner (oder die angegebenen) werden inkrementell nach UID archiviert. Verwenden Sie ein "
                   "Konto, das das Postfach lesen darf; für Microsoft 365 und Google sind die "
                   "Mandanten-Anbindungen vorzuziehen.",
    legacy={"ca_file": mailserver.CA_FILE_REFUSED},
    computed_defaults=mailserver.port_defaults(PORTS), on_add=mailserver.mailbox_default,
    mailbox_for=mailserver.mailbox_for, display_name=mailserver.display_name, deletes_on_server=True,
    build_mailbox_writer=build_mailbox_writer, build_mailbox_cleaner=build_mailbox_cleaner,
)
