"""Dropbox Business through a team app: every member's files and folders, and the team folders.

Backup only (``services=("backup",)``); the scopes are the team's members, team folders, the shared
folders members mounted, and the team (its file property templates). The app key is a setting; the
secret is the app secret (sign-in ``client_credentials``, the default) or the long-lived refresh
token the admin got once through the OAuth code flow (sign-in ``refresh_token``). ``endpoint`` / ``content_endpoint`` point at
test emulators (default: api.dropboxapi.com and content.dropboxapi.com).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds.fields import CHOICE, PASSWORD, TEXT, URL, Field, Kind

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
    services=("backup",), scope_kinds=("member", "teamfolder", "sharedfolder", "team"),
    backup_services=BACKUP_SERVICES, build_backup=build_backup, build_restore=build_restore,
    fields=(
        Field("app_key", TEXT, "App key", "App-Schlüssel (App key)", required=True, summary=True, max_length=100,
              secret_bound="app key"),
        Field("sign_in", CHOICE, "Sign-in", "Anmeldung", default="client_credentials",
              choices=(("client_credentials", "App key and secret (team app)", "App key und App secret (Team-App)"),
                       ("refresh_token", "Refresh token (OAuth code flow, done once)",
                        "Refresh-Token (OAuth-Code-Flow, einmalig)")),
              help="With “Refresh token”, enter the refresh token from the steps below instead of the app secret.",
              help_de="Bei „Refresh-Token“ statt des App secret das Refresh-Token aus den Schritten unten eingeben.",
              secret_bound="sign-in", cli_help="client_credentials (default) or refresh_token"),
        Field("app_secret", PASSWORD, "App secret (or refresh token)", "App-Geheimnis (App secret) oder Refresh-Token",
              required=True, noun="app secret or refresh token", max_length=500),
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
            "files.metadata.read, files.content.read, sharing.read, files.team_metadata.write (file property "
            "templates) and, for restores, files.content.write, files.metadata.write and sharing.write; "
            "then Submit.",
            "Reiter „Permissions“: team_info.read, members.read, team_data.member, team_data.team_space, "
            "files.metadata.read, files.content.read, sharing.read, files.team_metadata.write "
            "(Vorlagen für Dateieigenschaften) und für Wiederherstellungen files.content.write, "
            "files.metadata.write und sharing.write; danach „Submit“."),
           ("A team admin links the app to the team (Admin console → Settings → App integrations).",
            "Ein Team-Administrator verknüpft die App mit dem Team (Admin-Konsole → Einstellungen → "
            "App-Integrationen)."),
           ("Settings tab: copy the App key and the App secret and enter them here (sign-in “App key and "
            "secret”).",
            "Reiter „Settings“: App key und App secret kopieren und hier eintragen (Anmeldung „App key und "
            "App secret“)."),
           ("Or sign in with a refresh token, once, as a team admin: make a random code verifier (43–128 "
            "letters and digits) and its challenge (base64url of its SHA-256, without “=”); open "
            "https://www.dropbox.com/oauth2/authorize?client_id=APP_KEY&response_type=code"
            "&token_access_type=offline&code_challenge=CHALLENGE&code_challenge_method=S256 and allow the app.",
            "Oder einmalig als Team-Administrator mit einem Refresh-Token anmelden: einen zufälligen "
            "Code-Verifier (43–128 Buchstaben und Ziffern) und seine Challenge (base64url seines SHA-256, "
            "ohne „=“) bilden; https://www.dropbox.com/oauth2/authorize?client_id=APP_KEY&response_type=code"
            "&token_access_type=offline&code_challenge=CHALLENGE&code_challenge_method=S256 öffnen und die "
            "App zulassen."),
           ("Exchange the code shown: POST https://api.dropboxapi.com/oauth2/token with code=CODE, "
            "grant_type=authorization_code, client_id=APP_KEY and code_verifier=VERIFIER. Choose sign-in "
            "“Refresh token” here and enter the answer's refresh_token as the secret; Kustos exchanges it for "
            "short-lived tokens itself. If Dropbox revokes it, the connection test says so: repeat these two steps.",
            "Den angezeigten Code eintauschen: POST https://api.dropboxapi.com/oauth2/token mit code=CODE, "
            "grant_type=authorization_code, client_id=APP_KEY und code_verifier=VERIFIER. Hier die Anmeldung "
            "„Refresh-Token“ wählen und das refresh_token der Antwort als Geheimnis eintragen; Kustos tauscht es "
            "selbst gegen kurzlebige Tokens. Widerruft Dropbox es, meldet der Verbindungstest das: dann diese "
            "beiden Schritte wiederholen.")),
    display_name=lambda config: f"Dropbox {config.get('app_key') or ''}".strip(),
)
