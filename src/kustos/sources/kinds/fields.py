"""The declaration types of a source kind: ``Field`` (one setting or the secret) and ``Kind``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kustos.sources.base import Connector, Scope

if TYPE_CHECKING:
    from kustos.sources.egress import EgressPolicy

# Field types. TEXT, EMAIL, HOST, URL: a string; INT: a whole number (min/max); BOOL; CHOICE: one
# of ``choices``; LIST: a list of names (dashboard: one per line or comma-separated); PEM: CA
# certificates as PEM text (dashboard: upload or paste, CLI: a local file the command reads);
# PASSWORD: a secret string (CLI: one line on stdin); JSON_FILE: a secret JSON document (dashboard:
# upload, CLI: a local file).
TEXT, EMAIL, HOST, URL, INT, BOOL, CHOICE, LIST, PEM, PASSWORD, JSON_FILE = (
    "text", "email", "host", "url", "int", "bool", "choice", "list", "pem", "password", "json_file")
SECRET_TYPES = (PASSWORD, JSON_FILE)
TYPES = (TEXT, EMAIL, HOST, URL, INT, BOOL, CHOICE, LIST, PEM, PASSWORD, JSON_FILE)


class KindError(ValueError):
    """Invalid settings or secret for a kind; the message names the problem (never a secret)."""

    def __init__(self, message: str, message_de: str = "") -> None:
        super().__init__(message)
        self.message_de = message_de or message


@dataclass(frozen=True)
class Field:
    """One declared setting (stored in the source's config) or the kind's secret (sealed apart).

    ``secret_bound`` names the field in "changing the … requires the secret to be entered again":
    a non-empty value marks a setting that decides where the secret is sent. ``noun`` names the
    secret (or a PEM file) in messages. ``dashboard=False`` keeps a field out of the dashboard form
    (API, CLI and settings files still accept it). ``cli`` overrides the generated option name.
    ``default_de`` is the value a dashboard form pre-selects when the UI language is German (None: the
    same ``default``); stored settings without the field still mean ``default``.
    """

    name: str
    type: str
    label: str
    label_de: str
    required: bool = False
    default: Any = None
    default_de: Any = None
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, label, German label)
    help: str = ""
    help_de: str = ""
    secret_bound: str = ""
    noun: str = ""
    dashboard: bool = True
    summary: bool = False  # shown next to the source's name in lists
    cli: str = ""
    cli_help: str = ""
    placeholder: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    upload: str = ""  # PEM: name of the dashboard's file-upload field
    upload_label: str = ""
    upload_label_de: str = ""
    upload_help: str = ""
    upload_help_de: str = ""
    max_upload: int = 256 * 1024

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")

    def initial(self, language: str | None) -> Any:
        """The value a new source's form starts with in this UI language."""
        if self.default_de is not None and (language or "").lower().startswith("de"):
            return self.default_de
        return self.default

    @property
    def secret(self) -> bool:
        return self.type in SECRET_TYPES

    @property
    def option(self) -> str:
        """The CLI option: ``--tenant-id``, ``--password-stdin``, ``--service-account-file``, ..."""
        if self.cli:
            return self.cli
        base = "--" + self.name.replace("_", "-")
        return {PASSWORD: base + "-stdin", JSON_FILE: base + "-file", PEM: base + "-file"}.get(self.type, base)


# The mailbox cleanup rule, declared once for every kind with a cleaner (``build_mailbox_cleaner``):
# delete (or move to the trash) archived mail older than N days at the server.
CLEANUP_ACTIONS = (("delete", "Delete", "Löschen"),
                   ("trash", "Move to Deleted Items / Trash", "In „Gelöschte Elemente“ / Papierkorb verschieben"))
CLEANUP_FIELDS = (
    Field("cleanup_older_than_days", INT, "Clean up the mailbox: mail older than (days)",
          "Postfach aufräumen: E-Mails älter als (Tage)", minimum=0, maximum=36500,
          help="Only mail whose exact bytes are archived, sealed and indexed; empty or 0: off.",
          help_de="Nur E-Mails, deren exakte Bytes archiviert, versiegelt und indiziert sind; leer oder 0: aus.",
          cli_help="delete archived, sealed and indexed mail older than N days at the server after each run "
                   "(0: off)"),
    Field("cleanup_folders", LIST, "Clean up only these folders", "Nur diese Ordner aufräumen",
          help="One per line or comma-separated; empty: all folders.",
          help_de="Einer pro Zeile oder durch Kommas getrennt; leer: alle Ordner.",
          cli_help="folders the cleanup rule applies to (default: all)"),
    Field("cleanup_action", CHOICE, "Cleanup action", "Aktion beim Aufräumen", default="delete",
          choices=CLEANUP_ACTIONS, cli_help="delete, or move to the trash folder"),
)

Builder = Callable[[dict[str, Any], str, "EgressPolicy"], Connector]
# (settings, secret, egress, service names) -> one connector over those backup services.
BackupBuilder = Callable[[dict[str, Any], str, "EgressPolicy", "Iterable[str]"], Connector]


def _check(connector: Connector) -> None:
    connector.check()


def _scopes(connector: Connector) -> list[Scope]:
    return list(connector.scopes())


def _no_destinations(config: dict[str, Any], secret: str | None) -> list[str]:
    return []


@dataclass(frozen=True)
class Kind:
    """A source kind. Hooks take plain values; none of them touches a database."""

    name: str
    label: str
    label_de: str
    fields: tuple[Field, ...]
    build: Builder
    services: tuple[str, ...] = ("archive",)
    scope_kinds: tuple[str, ...] = ("mailbox",)
    description: str = ""
    description_de: str = ""
    steps: tuple[tuple[str, str], ...] = ()  # setup steps shown beside the form: (English, German)
    test: Callable[[Connector], None] = _check
    discover: Callable[[Connector], list[Scope]] = _scopes
    # Settings that were accepted once and are refused now: key -> message (and dropped on edit).
    legacy: dict[str, str] = field(default_factory=dict)
    # Defaults that depend on other settings (an omitted port is the default port of the mode).
    computed_defaults: Callable[[dict[str, Any]], dict[str, Any]] = lambda config: {}
    # Filled in when a source is added (e.g. the archive mailbox defaults to the user name).
    on_add: Callable[[dict[str, Any]], dict[str, Any]] = lambda config: config
    # Extra host:port or URL destinations beyond the URL fields (e.g. a token URI inside the secret).
    extra_destinations: Callable[[dict[str, Any], str | None], list[Any]] = _no_destinations
    # A new secret alone can move where requests go (a key file naming its own token URI).
    secret_has_destinations: bool = False
    # Validate and canonicalise the secret (raise KindError).
    check_secret: Callable[[str], str] = lambda secret: secret
    # The archive mailbox for a fetched scope.
    mailbox_for: Callable[[dict[str, Any], Scope], str] = lambda config, scope: (
        scope.name if "@" in scope.name else scope.id).lower()
    display_name: Callable[[dict[str, Any]], str] = lambda config: ""
    # Archived items may be deleted on the server N days later (setting ``delete_after_days``).
    deletes_on_server: bool = False
    # Backup: the services the backup engine may select (e.g. mail, onedrive) and the connector for them.
    backup_services: tuple[str, ...] = ()
    build_backup: BackupBuilder | None = None
    # Restore: (settings, secret, egress) -> a writer with ``write(account, path, kind, size, meta, open, ...)``.
    build_restore: Callable[[dict[str, Any], str, EgressPolicy], Any] | None = None
    # Restore into a live mailbox (optional): (settings, secret, egress) -> a writer with
    # ``exists(mailbox, folder, message_id, sha256, *, received=None, sent=None) -> bool`` (the dates narrow the
    # search for a message without Message-ID) and ``append(mailbox, folder, raw, internal_date, flags)``.
    build_mailbox_writer: Callable[[dict[str, Any], str, EgressPolicy], Any] | None = None
    # Mailbox cleanup (optional): (settings, secret, egress) -> a ``kustos.sources.cleanup.MailboxCleaner``.
    build_mailbox_cleaner: Callable[[dict[str, Any], str, EgressPolicy], Any] | None = None
    # Seeding (optional): (settings, secret, egress) -> a seeder with ``seed(records, object, where, ...)``.
    build_seeder: Callable[[dict[str, Any], str, EgressPolicy], Any] | None = None
    alert_partition: str = ""  # "folder": backup anomalies judged per top-level folder (object), own baselines

    def __post_init__(self) -> None:
        if self.build_mailbox_cleaner is not None:
            known = {f.name for f in self.fields}
            extra = tuple(f for f in CLEANUP_FIELDS if f.name not in known)
            object.__setattr__(self, "fields", (*self.fields, *extra))
        secrets = [f for f in self.fields if f.secret]
        if len(secrets) != 1:
            raise ValueError(f"kind {self.name}: exactly one secret field is needed, found {len(secrets)}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"kind {self.name}: field names repeat")

    @property
    def secret_field(self) -> Field:
        return next(f for f in self.fields if f.secret)

    @property
    def settings(self) -> tuple[Field, ...]:
        """The fields stored in the config (all but the secret)."""
        return tuple(f for f in self.fields if not f.secret)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def summary(self, config: dict[str, Any]) -> str:
        return " · ".join(str(config[f.name]) for f in self.fields if f.summary and config.get(f.name))


def pick(language: str | None, english: str, german: str) -> str:
    """The text for a UI language (German for ``de*``, English otherwise)."""
    return german if (language or "").lower().startswith("de") and german else english


def names(kinds: Iterable[Kind]) -> list[str]:
    return [k.name for k in kinds]
