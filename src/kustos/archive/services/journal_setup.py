"""Step-by-step journaling set-up per mail platform, filled in with the customer's journaling
address, receiving host/port and trusted senders, in the language asked for (``de``/``en``),
and when the last journal delivery arrived. Shown by `kustos journal setup`, the API
(``GET /customers/{id}/journal/setup``) and the journaling page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from kustos.archive.models import MessageRef
from kustos.archive.services import journal
from kustos.audit import services as audit
from kustos.config import Settings
from kustos.core import runtime
from kustos.tenants.models import Customer

PLATFORMS = ("exchange-online", "exchange-server", "google", "postfix")
LANGUAGES = ("en", "de")
TITLES = {"exchange-online": "Exchange Online (Microsoft 365)", "exchange-server": "Exchange Server 2016 / 2019 / SE",
          "google": "Google Workspace", "postfix": "Postfix"}
NDR_PLACEHOLDER = "postmaster@your-domain.example"


def _step(text: str, code: str = "") -> dict[str, str]:
    return {"text": text, "code": code}


def _trust_step(trusted: list[str], typical: str) -> dict[str, str]:
    if trusted:
        return _step(_("Trusted journal report senders configured in Kustos: %(hosts)s. Journal reports from "
                       "these networks are unwrapped; add every server that delivers journal mail.")
                     % {"hosts": ", ".join(trusted)})
    return _step(_("No trusted journal report senders are configured in Kustos yet: until you add the sending "
                   "servers (%(typical)s) with `kustos journal configure --trust`, reports are archived as "
                   "received but not unwrapped.") % {"typical": typical})


def _exchange_online(i: dict[str, Any]) -> list[dict[str, str]]:
    a = i["address"]
    return [
        _step(_("Exchange Online delivers journal reports by MX lookup on port 25: the MX record of %(domain)s "
                "must point to %(host)s.") % {"domain": i["domain"], "host": i["host"]}),
        _step(_("Connect to Exchange Online PowerShell and first name a mailbox of your own that receives "
                "undeliverable journal reports (never the journaling address itself):"),
              f'Connect-ExchangeOnline\nSet-TransportConfig -JournalingReportNdrTo "{NDR_PLACEHOLDER}"'),
        _step(_("Create the journal rule for all messages of all users:"),
              f'New-JournalRule -Name "Kustos archive" -JournalEmailAddress "{a}" -Scope Global -Enabled $true'),
        _trust_step(i["trusted_hosts"], "spf.protection.outlook.com: 40.92.0.0/15, 40.107.0.0/16, "
                                        "52.100.0.0/14, 104.47.0.0/17"),
    ]


def _exchange_server(i: dict[str, Any]) -> list[dict[str, str]]:
    a = i["address"]
    return [
        _step(_("On premises the journaling address is external: create a mail contact for it (Exchange "
                "Management Shell):"), f'New-MailContact -Name "Kustos Journal" -ExternalEmailAddress "{a}"'),
        _step(_("Route the journaling domain directly to Kustos with a send connector:"),
              f'New-SendConnector -Name "Kustos journaling" -Usage Custom -AddressSpaces "SMTP:{i["domain"]};1" '
              f'-SmartHosts "{i["host"]}" -Port {i["port"]} -DNSRoutingEnabled $false -SmartHostAuthMechanism None'),
        _step(_("Name a mailbox of your own for undeliverable journal reports, then create the journal rule:"),
              f'Set-TransportConfig -JournalingReportNdrTo "{NDR_PLACEHOLDER}"\n'
              f'New-JournalRule -Name "Kustos archive" -JournalEmailAddress "{a}" -Scope Global -Enabled $true'),
        _trust_step(i["trusted_hosts"], _("the IP addresses of your Exchange servers")),
    ]


def _google(i: dict[str, Any]) -> list[dict[str, str]]:
    a = i["address"]
    return [
        _step(_("Sign in to the Google Admin console (admin.google.com) as a super administrator.")),
        _step(_("Apps > Google Workspace > Gmail > Compliance > Content compliance (or Gmail > Routing): "
                "Configure, description “Kustos archive”.")),
        _step(_("Email messages to affect: tick Inbound, Outbound, Internal - sending and Internal - receiving.")),
        _step(_("Add an expression that matches every message: Advanced content match, location Full headers, "
                "match type Matches regex, regular expression:"), ".*"),
        _step(_("If the expression matches: Modify message > Also deliver to > Add more recipients > Add > "
                "Advanced > Change envelope recipient, replace recipient with %(address)s.") % {"address": a}),
        _step(_("If the MX record of %(domain)s does not point to Kustos: Apps > Google Workspace > Gmail > "
                "Hosts > Add route %(host)s port %(port)s, and choose that route for the added recipient.")
              % {"domain": i["domain"], "host": i["host"], "port": i["port"]}),
        _step(_("Save. Changes can take up to 24 hours to reach every user.")),
        _trust_step(i["trusted_hosts"], "_spf.google.com"),
    ]


def _postfix(i: dict[str, Any]) -> list[dict[str, str]]:
    a = i["address"]
    return [
        _step(_("Send a BCC copy of every message to the journaling address and route its domain to Kustos "
                "(/etc/postfix/main.cf and /etc/postfix/transport):"),
              f"# /etc/postfix/main.cf\nalways_bcc = {a}\ntransport_maps = hash:/etc/postfix/transport\n\n"
              f"# /etc/postfix/transport\n{i['domain']}    smtp:[{i['host']}]:{i['port']}"),
        _step(_("To archive only some domains, use sender_bcc_maps and recipient_bcc_maps instead of always_bcc:"),
              "# /etc/postfix/main.cf\nsender_bcc_maps = hash:/etc/postfix/archive_bcc\n"
              f"recipient_bcc_maps = hash:/etc/postfix/archive_bcc\n\n# /etc/postfix/archive_bcc\n"
              f"@your-domain.example    {a}"),
        _step(_("Build the maps and reload Postfix:"),
              "postmap /etc/postfix/transport /etc/postfix/archive_bcc && postfix reload"),
        _trust_step(i["trusted_hosts"], _("the IP address of this Postfix server")),
    ]


_BUILDERS = {"exchange-online": _exchange_online, "exchange-server": _exchange_server, "google": _google,
             "postfix": _postfix}


def check(platform: str, lang: str) -> None:
    if platform not in PLATFORMS:
        raise ValidationError(f"unknown platform {platform!r} (one of: {', '.join(PLATFORMS)})")
    if lang not in LANGUAGES:
        raise ValidationError(f"unknown language {lang!r} (one of: {', '.join(LANGUAGES)})")


def last_report_at(customer: Customer, settings: Settings | None = None) -> datetime | None:
    """When the newest journal delivery (journal report or journaled copy received over SMTP) was
    archived under the customer's journaling mailbox; None when none arrived yet."""
    settings = settings or runtime.settings()
    mailbox = f"{journal.endpoint(customer).local_part}@{settings.smtp_domain}".lower()
    return MessageRef.objects.filter(mailbox__customer=customer, mailbox__address=mailbox,
                                     source="smtp").aggregate(last=Max("added_at"))["last"]


def instructions(customer: Customer, platform: str, lang: str, settings: Settings | None = None) -> dict[str, Any]:
    """The set-up steps for one platform (ValidationError for an unknown platform or language)."""
    check(platform, lang)
    info = journal.public(customer, settings)
    info["domain"] = info["address"].rpartition("@")[2]
    with translation.override(lang):
        steps = _BUILDERS[platform](info)
    return {"platform": platform, "title": TITLES[platform], "lang": lang, "address": info["address"],
            "host": info["host"], "port": info["port"], "trusted_hosts": info["trusted_hosts"], "steps": steps}


def setup(customer: Customer, platform: str, lang: str, *, actor: Any = None, audited: bool = True
          ) -> dict[str, Any]:
    """Instructions plus the last delivery, as CLI, API and dashboard show them.

    A CLI or API request for the steps is audited (who asked for them); the journaling page, which
    only displays them beside the customer's settings, passes ``audited=False`` (no event per page view:
    COMPLIANCE.md 7 audits views of archived mail, not of configuration pages).
    """
    out = instructions(customer, platform, lang)
    last = last_report_at(customer)
    out["last_report_at"] = last.isoformat() if last else None
    if audited:
        audit.record("journal.setup", actor=actor, customer=customer, target=platform, detail={"lang": lang})
    return out
