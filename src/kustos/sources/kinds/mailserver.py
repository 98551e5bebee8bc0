"""What IMAP and POP3 share: server, port, security mode, user name, password, CA certificates."""

from __future__ import annotations

import ssl
from typing import Any

from kustos.sources.kinds.fields import BOOL, CHOICE, EMAIL, HOST, INT, PASSWORD, PEM, TEXT, Field

SECURITY = (("tls", "TLS (implicit, e.g. 993/995)", "TLS (implizit, z. B. 993/995)"),
            ("starttls", "STARTTLS", "STARTTLS"),
            ("none", "None (unencrypted, lab only)", "Keine (unverschlüsselt, nur für Tests)"))
CA_FILE_REFUSED = "ca_file (a path on the server) is not accepted; upload the CA certificate as PEM text (ca_pem)"


def fields(placeholder: str) -> tuple[Field, ...]:
    """Server fields in form order; the kind adds its own after ``mailbox``."""
    return (
        Field("host", HOST, "Server", "Server", required=True, secret_bound="host", summary=True, max_length=253,
              placeholder=placeholder),
        Field("port", INT, "Port", "Port", minimum=1, maximum=65535, secret_bound="port",
              help="Empty: the standard port for the security mode.",
              help_de="Leer: der Standardport der gewählten Verschlüsselung."),
        Field("security", CHOICE, "Security", "Verschlüsselung", default="tls", choices=SECURITY,
              secret_bound="security mode"),
        Field("username", TEXT, "User name", "Benutzername", required=True, secret_bound="username", max_length=320),
        Field("password", PASSWORD, "Password", "Passwort", required=True, noun="password", max_length=1000),
        Field("mailbox", EMAIL, "Archive as mailbox", "Archivieren als Postfach", max_length=320,
              help="The e-mail address the mail is filed under; empty: the user name.",
              help_de="Die E-Mail-Adresse, unter der die E-Mails abgelegt werden; leer: der Benutzername.",
              cli_help="archive mailbox address (default: the username)"),
    )


def tls_fields() -> tuple[Field, ...]:
    return (
        Field("tls_verify", BOOL, "Verify the server certificate", "Serverzertifikat prüfen", default=True,
              secret_bound="TLS verification", dashboard=False, cli="--no-verify-tls",
              cli_help="accept self-signed certificates"),
        Field("ca_pem", PEM, "…or paste the CA certificate (PEM)", "… oder CA-Zertifikat (PEM) einfügen",
              secret_bound="CA certificate", noun="CA certificate", cli="--ca-file",
              cli_help="CA certificate (PEM) to trust; this command reads the file and stores its content",
              placeholder="-----BEGIN CERTIFICATE-----",
              help="Empty: the public certificate authorities are trusted.",
              help_de="Leer: Den öffentlichen Zertifizierungsstellen wird vertraut.",
              upload="ca_upload", upload_label="CA certificate (PEM file)", upload_label_de="CA-Zertifikat (PEM-Datei)",
              upload_help="Only for servers whose certificate is issued by your own CA.",
              upload_help_de="Nur für Server, deren Zertifikat von Ihrer eigenen Zertifizierungsstelle ausgestellt "
                             "wurde."),
        Field("timeout", INT, "Timeout (seconds)", "Zeitlimit (Sekunden)", minimum=1, maximum=3600, dashboard=False),
    )


def port_defaults(ports: dict[str, int]):
    def computed(config: dict[str, Any]) -> dict[str, Any]:
        return {"port": ports[config.get("security") or "tls"]}
    return computed


def mailbox_default(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "mailbox": config.get("mailbox") or config["username"]}


def display_name(config: dict[str, Any]) -> str:
    return config.get("mailbox") or config.get("username") or ""


def mailbox_for(config: dict[str, Any], scope: Any) -> str:
    return config.get("mailbox") or config["username"]


def tls_context(config: dict[str, Any]) -> ssl.SSLContext | None:
    if config.get("security", "tls") == "none":
        return None
    # Uploaded CA certificates (PEM text in the config, validated on save); never a server path.
    ctx = ssl.create_default_context(cadata=config.get("ca_pem") or None)
    if config.get("tls_verify") is False:  # explicit opt-out for self-signed lab servers
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
