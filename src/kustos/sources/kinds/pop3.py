"""POP3 mailbox: the inbox only, each message once (by UIDL); nothing is deleted on the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.core.lazy import Deferred
from kustos.sources.kinds import mailserver
from kustos.sources.kinds.fields import Kind

if TYPE_CHECKING:
    from kustos.sources.base import Connector
    from kustos.sources.egress import EgressPolicy

PORTS = {"tls": 995, "starttls": 110, "none": 110}
_Connector = Deferred("kustos.sources.pop3:Pop3Connector")


def build(config: dict[str, Any], secret: str, egress: EgressPolicy) -> Connector:
    security = config.get("security", "tls")
    return _Connector(host=config["host"], port=int(config.get("port") or PORTS[security]), security=security,
                      username=config["username"], password=secret or None, ssl_context=mailserver.tls_context(config),
                      timeout=float(config.get("timeout", 60)), egress=egress)


KIND = Kind(
    name="pop3", label="POP3", label_de="POP3", build=build,
    fields=(*mailserver.fields("pop.example.com"), *mailserver.tls_fields()),
    description="POP3 sees only the inbox. Messages are archived once each (by UIDL); nothing is deleted on the "
                "server.",
    description_de="POP3 sieht nur den Posteingang. Jede Nachricht wird einmal archiviert (per UIDL); auf dem "
                   "Server wird nichts gelöscht.",
    legacy={"ca_file": mailserver.CA_FILE_REFUSED},
    computed_defaults=mailserver.port_defaults(PORTS), on_add=mailserver.mailbox_default,
    mailbox_for=mailserver.mailbox_for, display_name=mailserver.display_name,
)
