"""SMTP journaling endpoints: per-customer address, who may deliver, whose reports are trusted.

Each customer has one journaling address ``<local_part>@<smtp_domain>``. Its endpoint says
which client networks may deliver to it at all (``allowed_hosts``; others are refused at
RCPT) and whose Exchange journal reports are unwrapped (``trusted_hosts``, and
``trust_authenticated`` for reports that arrived over authenticated SMTP). The spool
consumer is :mod:`kustos.archive.services.journal_drain`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError

from kustos.archive.models import JournalEndpoint
from kustos.audit import services as audit
from kustos.config import Settings
from kustos.core import runtime
from kustos.sources.smtp import BadNetwork, Envelope, JournalTarget, ip_in, normalize_networks, peer_ip
from kustos.tenants.models import Customer


def endpoint(customer: Customer) -> JournalEndpoint:
    found = JournalEndpoint.objects.filter(customer=customer).first()
    if found is None:
        found = JournalEndpoint.objects.create(customer=customer, local_part="journal-" + secrets.token_hex(8))
    return found


def address(customer: Customer) -> str:
    return f"{endpoint(customer).local_part}@{runtime.settings().smtp_domain}"


def public(customer: Customer, settings: Settings | None = None) -> dict[str, Any]:
    """The endpoint as API, CLI and dashboard show it (where senders deliver, and its policy)."""
    settings = settings or runtime.settings()
    ep = endpoint(customer)
    return {
        "address": f"{ep.local_part}@{settings.smtp_domain}",
        "host": settings.smtp_domain,
        "port": settings.smtp_port,
        "starttls": bool(settings.smtp_tls_cert),
        "auth": bool(settings.smtp_auth_user and settings.smtp_auth_password),
        "allowed_hosts": list(ep.allowed_hosts or []),
        "trusted_hosts": list(ep.trusted_hosts or []),
        "trust_authenticated": ep.trust_authenticated,
    }


def _networks(values: list[str], what: str) -> list[str]:
    try:
        return normalize_networks(values)
    except BadNetwork as exc:
        raise ValidationError(f"{what}: {exc}") from None


def configure(customer: Customer, *, allowed_hosts: list[str] | None = None, trusted_hosts: list[str] | None = None,
              trust_authenticated: bool | None = None, actor: Any = None) -> JournalEndpoint:
    """Change who may deliver to the journaling address and whose journal reports are trusted.

    ``None`` leaves a value unchanged; an empty list clears it. Bad networks raise
    ValidationError naming the value.
    """
    ep = endpoint(customer)
    if allowed_hosts is not None:
        ep.allowed_hosts = _networks(allowed_hosts, "allowed hosts")
    if trusted_hosts is not None:
        ep.trusted_hosts = _networks(trusted_hosts, "trusted hosts")
    if trust_authenticated is not None:
        ep.trust_authenticated = bool(trust_authenticated)
    ep.save(update_fields=["allowed_hosts", "trusted_hosts", "trust_authenticated"])
    audit.record("journal.configure", actor=actor, customer=customer, target=ep.local_part,
                 detail={"allowed_hosts": ep.allowed_hosts, "trusted_hosts": ep.trusted_hosts,
                         "trust_authenticated": ep.trust_authenticated})
    return ep


def resolve_recipient(rcpt: str) -> JournalTarget | None:
    """Journal address → customer id and the networks allowed to deliver to it; None for
    unknown addresses (rejected at RCPT)."""
    local, _, domain = rcpt.strip().strip("<>").lower().rpartition("@")
    if domain != runtime.settings().smtp_domain.lower():
        return None
    found = JournalEndpoint.objects.filter(local_part=local).select_related("customer").first()
    if found is None or found.customer.status != Customer.Status.ACTIVE:
        return None
    return JournalTarget(found.customer_id, tuple(found.allowed_hosts or ()))


def trusted(envelope: Envelope, ep: JournalEndpoint) -> bool:
    """Whether a delivery comes from a sender whose journal reports the customer trusts:
    a client IP in ``trusted_hosts``, or SMTP AUTH when ``trust_authenticated`` is set."""
    client = envelope.client_ip or peer_ip(envelope.peer)
    if ep.trusted_hosts and ip_in(client, ep.trusted_hosts):
        return True
    return bool(ep.trust_authenticated and (envelope.authenticated or envelope.auth_user))
