"""Source kind → connector factory. Adding an archive source = one module + one line here.

Every connector is built with the installation's egress policy: no source connects to an
address the policy refuses (loopback, link-local, private, ... unless the operator allows it).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from typing import Any

from kustos.sources.base import Connector
from kustos.sources.egress import EgressPolicy
from kustos.sources.gmail import GmailConnector
from kustos.sources.graph import GraphMailConnector
from kustos.sources.imap.connector import ImapConnector
from kustos.sources.pop3 import Pop3Connector

DEFAULT_PORTS = {("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
                 ("pop3", "tls"): 995, ("pop3", "starttls"): 110, ("pop3", "none"): 110}


def _tls(config: dict[str, Any]) -> ssl.SSLContext | None:
    if config.get("security", "tls") == "none":
        return None
    # Uploaded CA certificates (PEM text in the config, validated on save); never a server path.
    ctx = ssl.create_default_context(cadata=config.get("ca_pem") or None)
    if config.get("tls_verify") is False:  # explicit opt-out for self-signed lab servers
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _imap(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    security = config.get("security", "tls")
    return ImapConnector(host=config["host"], port=int(config.get("port") or DEFAULT_PORTS[("imap", security)]),
                         security=security, username=config["username"], password=secret or None,
                         include=config.get("include", []), exclude=config.get("exclude", []),
                         ssl_context=_tls(config), timeout=float(config.get("timeout", 60)), egress=egress)


def _pop3(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    security = config.get("security", "tls")
    return Pop3Connector(host=config["host"], port=int(config.get("port") or DEFAULT_PORTS[("pop3", security)]),
                         security=security, username=config["username"], password=secret or None,
                         ssl_context=_tls(config), timeout=float(config.get("timeout", 60)), egress=egress)


def _graph(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    endpoint = config.get("endpoint") or "https://graph.microsoft.com"
    login = config.get("login_endpoint") or (endpoint if config.get("endpoint") else "https://login.microsoftonline.com")
    return GraphMailConnector(tenant_id=config["tenant_id"], client_id=config["client_id"], client_secret=secret,
                              endpoint=endpoint, login_endpoint=login, egress=egress)


def _gmail(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    info = json.loads(secret)
    return GmailConnector(info, config["admin_email"], endpoint=config.get("endpoint") or None, egress=egress)


FACTORIES: dict[str, Callable[[dict[str, Any], str, EgressPolicy], Connector]] = {
    "imap": _imap,
    "pop3": _pop3,
    "graph": _graph,
    "gmail": _gmail,
}

REQUIRED = {
    "imap": ("host", "username"),
    "pop3": ("host", "username"),
    "graph": ("tenant_id", "client_id"),
    "gmail": ("admin_email",),
}


def build(kind: str, config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    return FACTORIES[kind](config, secret, egress)
