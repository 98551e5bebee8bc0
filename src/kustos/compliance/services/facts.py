"""The configuration facts of one customer that the compliance documents describe.

Read from the live database and the installation's settings (passed in). Never a secret: source
secrets are not read, a source's config is filtered to the kind's declared non-secret fields,
and the vault URL is reduced to its scheme, host and path (no user info, no query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from kustos import __version__
from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.roles import TWO_FACTOR_ROLES, Role
from kustos.accounts.services.twofactor import confirmed_device
from kustos.archive.models import JournalEndpoint, Source
from kustos.archive.retention import LONGEST_YEARS
from kustos.backup.models import BackupPlan
from kustos.config import Settings
from kustos.lifecycle.models import IngestRule, LegalHold, RetentionClass, RetentionRule
from kustos.lifecycle.services import settings as lifecycle_settings
from kustos.sources.kinds import registry
from kustos.tenants.models import Customer

#: Settings names that never appear in a document even if a kind forgot to mark them secret.
_SECRET_WORDS = ("password", "secret", "token", "key", "credential")


@dataclass(frozen=True)
class InstallationFacts:
    """What the documents need from the installation's settings (no keys, no passwords)."""

    software_version: str
    vault_backend: str
    tsa: str
    smtp_domain: str
    require_2fa_for_admins: bool
    production: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> InstallationFacts:
        return cls(software_version=__version__, vault_backend=_vault_backend(settings.vault_url),
                   tsa=settings.tsa_url or "built-in local TSA (self-signed certificate, labelled as such)",
                   smtp_domain=settings.smtp_domain, require_2fa_for_admins=settings.require_2fa_for_admins,
                   production=settings.production)


def _vault_backend(url: str) -> str:
    if not url:
        return "local directory under KUSTOS_HOME"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme in ("", "file"):
        return f"local directory {parts.path}"
    return f"{parts.scheme}://{host}{parts.path}"


def location_of(customer: Customer, default_backend: str) -> dict[str, Any]:
    """The customer's location and the vault its data is written to: the location's own vault
    (``runtime.vault_for``, requirement 26; shown without credentials) or, when the location
    names none, the installation's vault."""
    loc = customer.location
    own = _vault_backend(loc.vault_url) if loc.vault_url else ""
    return {"id": loc.id, "name": loc.name, "country": loc.country.upper(), "in_eu": loc.in_eu,
            "outside_eu_override": loc.outside_eu_override, "vault": own or default_backend,
            "location_vault": own}


def _safe_config(source: Source) -> dict[str, Any]:
    spec = registry.KINDS.get(source.kind)
    declared = {f.name: f for f in spec.fields} if spec else {}
    out = {}
    for name, value in sorted((source.config or {}).items()):
        field = declared.get(name)
        if field is not None and field.secret:
            continue
        if any(word in name.lower() for word in _SECRET_WORDS) or field is None and spec is not None:
            continue
        if isinstance(value, str) and "BEGIN " in value:  # PEM material: name it, do not copy it
            value = "(PEM certificate configured)"
        out[name] = value
    return out


def sources_of(customer: Customer) -> list[dict[str, Any]]:
    rows = []
    for source in Source.objects.filter(customer=customer).order_by("name", "id"):
        spec = registry.KINDS.get(source.kind)
        rows.append({"id": source.id, "name": source.name, "kind": spec.label if spec else source.kind,
                     "services": sorted(source.services or []), "paused": source.paused,
                     "interval_minutes": source.interval_minutes, "settings": _safe_config(source)})
    return rows


def journal_of(customer: Customer, smtp_domain: str) -> dict[str, Any] | None:
    endpoint = JournalEndpoint.objects.filter(customer=customer).first()
    if endpoint is None:
        return None
    return {"address": f"{endpoint.local_part}@{smtp_domain}", "allowed_hosts": list(endpoint.allowed_hosts or []),
            "trusted_hosts": list(endpoint.trusted_hosts or []),
            "trust_authenticated": endpoint.trust_authenticated}


def users_of(customer: Customer) -> list[dict[str, Any]]:
    """Everyone with access to the customer: its own users and the partner's staff."""
    users = (User.objects.filter(customer=customer) | User.objects.filter(
        partner_id=customer.partner_id, role__in=[Role.PARTNER_ADMIN, Role.PARTNER_TECH]))
    return [{"email": u.email, "role": Role(u.role).label, "active": u.is_active,
             "two_factor": confirmed_device(u) is not None,
             "two_factor_required": u.role in TWO_FACTOR_ROLES}
            for u in users.distinct().order_by("role", "email")]


def grants_of(customer: Customer) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for g in AuditorGrant.objects.filter(customer=customer).select_related("user").order_by("user__email", "id"):
        state = "revoked" if g.revoked_at else ("expired" if g.expires_at <= now else "active")
        rows.append({"auditor": g.user.email, "state": state,
                     "date_from": g.date_from.isoformat() if g.date_from else "",
                     "date_to": g.date_to.isoformat() if g.date_to else "",
                     "expires": g.expires_at.date().isoformat(), "tax_relevant_only": g.tax_relevant_only,
                     "mailboxes": sorted(g.mailboxes or [])})
    return rows


def retention_of(customer: Customer) -> dict[str, Any]:
    """The archive's retention configuration (classes, rules, ingest rules, approvals, holds) and
    the backup plans' keep counts."""
    plans = []
    for plan in BackupPlan.objects.filter(source__customer=customer).select_related("source").order_by("source__name"):
        keep = {k: getattr(plan, f"keep_{k}") for k in ("last", "daily", "weekly", "monthly", "yearly")}
        plans.append({"source": plan.source.name, "keep": {k: v for k, v in keep.items() if v}})
    classes = [{"name": c.name, "years": c.years, "tax_relevant": c.tax_relevant}
               for c in RetentionClass.objects.filter(customer=customer).order_by("name")]
    rules = [{"class": r.retention_class.name, "mailbox": r.mailbox, "folder": r.folder, "from": r.from_addr,
              "query": r.query, "priority": r.priority, "version": r.version, "active": r.active,
              "tax_relevant": r.tax_relevant}
             for r in RetentionRule.objects.filter(customer=customer).select_related("retention_class")
             .order_by("priority", "created_at")]
    ingest = [{"name": r.name, "field": r.field, "header": r.header_name, "pattern": r.pattern, "action": r.action,
               "class": r.retention_class.name if r.retention_class else "", "active": r.active}
              for r in IngestRule.objects.filter(customer=customer).select_related("retention_class")
              .order_by("created_at")]
    holds = LegalHold.objects.filter(case__customer=customer, released_at=None).count()
    return {"classes": classes, "rules": rules, "ingest_rules": ingest, "archive_years": LONGEST_YEARS,
            "required_approvals": lifecycle_settings.required_approvals(customer), "active_holds": holds,
            "backup_plans": plans}
