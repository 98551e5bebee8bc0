"""Tenant isolation and authorisation: the ONE place that decides who sees and does what.

Views, API routes, CLI and jobs call these functions; none re-implements a check.
Two questions are answered separately:

* scope — which partners / customers / users / jobs a user can see at all
  (``customers_for`` etc.). Objects outside the scope are reported as *not found*
  so their existence does not leak.
* permission — whether the user's role may perform an action (``ROLE_PERMS``); a
  visible object with a forbidden action gives *permission denied*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.roles import Role
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, Partner, SelfService, StorageLocation

#: Grant date ranges are calendar days in the archive's time zone.
BERLIN = ZoneInfo("Europe/Berlin")


class Perm(StrEnum):
    PARTNER_VIEW = "partner.view"
    PARTNER_MANAGE = "partner.manage"
    LOCATION_MANAGE = "location.manage"
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_DELETE = "customer.delete"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    JOB_VIEW = "job.view"
    ARCHIVE_SEARCH = "archive.search"
    ARCHIVE_IMPORT = "archive.import"
    ARCHIVE_EXPORT = "archive.export"
    ARCHIVE_FLAG = "archive.flag"  # mark messages tax-relevant
    ARCHIVE_RESTORE = "archive.restore"  # put archived mail back into a mailbox (never auditors)
    SOURCE_VIEW = "source.view"
    SOURCE_MANAGE = "source.manage"
    BACKUP_VIEW = "backup.view"
    BACKUP_MANAGE = "backup.manage"
    BACKUP_RESTORE = "backup.restore"  # browse item contents and download
    AUDIT_VIEW = "audit.view"  # read the audit log, scoped by audit_scope
    AUDIT_VERIFY = "audit.verify"  # verify the whole audit chain
    # Compliance documents. Auditors may read the stored procedure-documentation versions (the tax
    # auditor may ask for the Verfahrensdokumentation); the Art. 30 record and creating a new
    # version are for customer admins and partner staff.
    COMPLIANCE_VIEW = "compliance.view"
    COMPLIANCE_MANAGE = "compliance.manage"
    PROCEDURE_DOC_READ = "compliance.procedure_doc.read"
    # Legal holds (cases) and data-subject requests (GDPR Art. 15/17/18): partner and customer
    # admins; never auditors.
    LEGAL_HOLD = "lifecycle.hold"
    GDPR_REQUEST = "lifecycle.gdpr"
    # Retention classes, rules, deletion proposals and their approval, tombstones: partner and
    # customer admins manage (partner technicians may look); never auditors.
    RETENTION_VIEW = "lifecycle.retention.view"
    RETENTION_MANAGE = "lifecycle.retention.manage"
    # Billing set-up: the operator keeps the price list (partners read it); usage and activations of a
    # customer are read by operator and partner staff; trials are started by partner admins and the operator.
    PRICE_VIEW = "billing.price.view"
    PRICE_MANAGE = "billing.price.manage"
    USAGE_VIEW = "billing.usage.view"
    TRIAL_START = "billing.trial.start"
    # The monthly billing statement (CSV): the operator for every partner, a partner admin for its own.
    BILLING_STATEMENT = "billing.statement"
    # Notification routes and webhook endpoints: a partner admin for its partner, the operator for all.
    NOTIFY_MANAGE = "notify.manage"
    # Installation health (queue, jobs, workers, disk, vault usage): the operator only.
    INSTALLATION_HEALTH = "installation.health"
    # Export a customer's data key as a passphrase-protected key file (kustos-read): partner admins only.
    CUSTOMER_KEY_EXPORT = "customer.key_export"
    # The customer exit export (the whole archive as files for the recipient): partner admins and operators.
    CUSTOMER_EXIT_EXPORT = "customer.exit_export"


_PARTNER_COMMON = {
    Perm.CUSTOMER_VIEW, Perm.CUSTOMER_CREATE, Perm.CUSTOMER_EDIT, Perm.USER_VIEW, Perm.JOB_VIEW,
    Perm.ARCHIVE_SEARCH, Perm.ARCHIVE_IMPORT, Perm.ARCHIVE_EXPORT, Perm.ARCHIVE_FLAG, Perm.ARCHIVE_RESTORE,
    Perm.SOURCE_VIEW, Perm.SOURCE_MANAGE, Perm.BACKUP_VIEW, Perm.BACKUP_MANAGE, Perm.BACKUP_RESTORE, Perm.AUDIT_VIEW,
    Perm.COMPLIANCE_VIEW, Perm.COMPLIANCE_MANAGE, Perm.PROCEDURE_DOC_READ, Perm.RETENTION_VIEW,
    Perm.PRICE_VIEW, Perm.USAGE_VIEW,
}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    # The operator runs the platform; it never needs to read customer archives.
    Role.OPERATOR: frozenset({
        Perm.PARTNER_VIEW, Perm.PARTNER_MANAGE, Perm.LOCATION_MANAGE, Perm.CUSTOMER_VIEW,
        Perm.CUSTOMER_CREATE, Perm.CUSTOMER_EDIT, Perm.CUSTOMER_DELETE, Perm.USER_VIEW, Perm.USER_MANAGE,
        Perm.JOB_VIEW, Perm.SOURCE_VIEW, Perm.BACKUP_VIEW, Perm.AUDIT_VIEW, Perm.AUDIT_VERIFY,
        Perm.PRICE_VIEW, Perm.PRICE_MANAGE, Perm.USAGE_VIEW, Perm.TRIAL_START, Perm.BILLING_STATEMENT,
        Perm.NOTIFY_MANAGE,
        Perm.INSTALLATION_HEALTH, Perm.CUSTOMER_EXIT_EXPORT,
    }),
    Role.PARTNER_ADMIN: frozenset(_PARTNER_COMMON | {Perm.CUSTOMER_DELETE, Perm.USER_MANAGE, Perm.AUDIT_VERIFY,
                                                     Perm.LEGAL_HOLD, Perm.GDPR_REQUEST, Perm.RETENTION_MANAGE,
                                                     Perm.TRIAL_START, Perm.BILLING_STATEMENT, Perm.NOTIFY_MANAGE,
                                                     Perm.CUSTOMER_KEY_EXPORT, Perm.CUSTOMER_EXIT_EXPORT}),
    Role.PARTNER_TECH: frozenset(_PARTNER_COMMON),
    Role.CUSTOMER_ADMIN: frozenset({
        Perm.CUSTOMER_VIEW, Perm.USER_VIEW, Perm.USER_MANAGE, Perm.JOB_VIEW, Perm.ARCHIVE_SEARCH,
        Perm.ARCHIVE_IMPORT, Perm.ARCHIVE_EXPORT, Perm.ARCHIVE_FLAG, Perm.ARCHIVE_RESTORE, Perm.SOURCE_VIEW,
        Perm.SOURCE_MANAGE,
        Perm.BACKUP_VIEW, Perm.BACKUP_MANAGE, Perm.BACKUP_RESTORE, Perm.AUDIT_VIEW,
        Perm.COMPLIANCE_VIEW, Perm.COMPLIANCE_MANAGE, Perm.PROCEDURE_DOC_READ, Perm.LEGAL_HOLD, Perm.GDPR_REQUEST,
        Perm.RETENTION_VIEW, Perm.RETENTION_MANAGE,
    }),
    Role.END_USER: frozenset({Perm.ARCHIVE_SEARCH, Perm.ARCHIVE_EXPORT, Perm.ARCHIVE_RESTORE}),
    Role.AUDITOR: frozenset({Perm.ARCHIVE_SEARCH, Perm.ARCHIVE_EXPORT, Perm.AUDIT_VIEW, Perm.PROCEDURE_DOC_READ}),
}

# Which roles a given role may create or manage.
MANAGEABLE_ROLES: dict[str, frozenset[str]] = {
    Role.OPERATOR: frozenset(Role.values),
    Role.PARTNER_ADMIN: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_TECH, Role.CUSTOMER_ADMIN,
                                   Role.END_USER, Role.AUDITOR}),
    Role.CUSTOMER_ADMIN: frozenset({Role.CUSTOMER_ADMIN, Role.END_USER, Role.AUDITOR}),
}


def has_perm(user: Any, perm: Perm) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMS.get(user.role, frozenset())


def require(user: Any, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(f"your role may not do this ({perm})")


# --- scope -------------------------------------------------------------------

def partners_for(user: User) -> QuerySet[Partner]:
    if user.role == Role.OPERATOR:
        return Partner.objects.all()
    if user.partner_id:
        return Partner.objects.filter(id=user.partner_id)
    return Partner.objects.none()


def customers_for(user: User) -> QuerySet[Customer]:
    base = Customer.objects.select_related("partner", "location")
    if user.role == Role.OPERATOR:
        return base.all()
    if user.role in (Role.PARTNER_ADMIN, Role.PARTNER_TECH) and user.partner_id:
        return base.filter(partner_id=user.partner_id)
    if user.role in (Role.CUSTOMER_ADMIN, Role.END_USER) and user.customer_id:
        return base.filter(id=user.customer_id)
    if user.role == Role.AUDITOR:
        return base.filter(auditor_grants__user=user, auditor_grants__expires_at__gt=timezone.now(),
                           auditor_grants__revoked_at__isnull=True)
    return base.none()


def users_for(user: User) -> QuerySet[User]:
    if user.role == Role.OPERATOR:
        return User.objects.all()
    if user.role in (Role.PARTNER_ADMIN, Role.PARTNER_TECH) and user.partner_id:
        # Auditors belong to no partner; they are in scope through grants on the partner's customers.
        return User.objects.filter(Q(partner_id=user.partner_id) | Q(customer__partner_id=user.partner_id)
                                   | Q(grants__customer__partner_id=user.partner_id)).distinct()
    if user.role == Role.CUSTOMER_ADMIN and user.customer_id:
        return User.objects.filter(Q(customer_id=user.customer_id) | Q(grants__customer_id=user.customer_id)).distinct()
    return User.objects.filter(id=user.id)


def jobs_for(user: User) -> QuerySet[Job]:
    if user.role == Role.OPERATOR:
        return Job.objects.all()
    if user.role in (Role.PARTNER_ADMIN, Role.PARTNER_TECH) and user.partner_id:
        return Job.objects.filter(partner_id=user.partner_id)
    if user.role == Role.CUSTOMER_ADMIN and user.customer_id:
        return Job.objects.filter(customer_id=user.customer_id)
    return Job.objects.none()


def locations_for(user: User) -> QuerySet[StorageLocation]:
    return StorageLocation.objects.all()


# --- object access -------------------------------------------------------------

def get_customer(user: User, customer_id: str, perm: Perm = Perm.CUSTOMER_VIEW) -> Customer:
    """The customer if ``user`` may see it and do ``perm`` on it; else 404 / 403."""
    customer = customers_for(user).filter(id=customer_id).first()
    if customer is None:
        raise Http404("no such customer")
    require(user, perm)
    return customer


def get_partner(user: User, partner_id: str, perm: Perm = Perm.PARTNER_VIEW) -> Partner:
    partner = partners_for(user).filter(id=partner_id).first()
    if partner is None:
        raise Http404("no such partner")
    require(user, perm)
    return partner


def billing_partner(user: User, partner_id: str = "") -> Partner | None:
    """Whose billing statement ``user`` may read: the operator every partner's (``None`` = all) or
    the one named (404 if none); a partner admin only its own partner's (another partner: 403)."""
    require(user, Perm.BILLING_STATEMENT)
    if user.role == Role.OPERATOR:
        if not partner_id:
            return None
        found = Partner.objects.filter(id=partner_id).first()
        if found is None:
            raise Http404("no such partner")
        return found
    if not user.partner_id or (partner_id and partner_id != user.partner_id):
        raise PermissionDenied("a partner admin reads only its own partner's billing")
    return user.partner


def get_user(user: User, user_id: str, perm: Perm = Perm.USER_VIEW) -> User:
    target = users_for(user).filter(id=user_id).first()
    if target is None:
        raise Http404("no such user")
    if target.id != user.id:
        require(user, perm)
    return target


def get_job(user: User, job_id: str) -> Job:
    job = jobs_for(user).filter(id=job_id).first()
    if job is None:
        raise Http404("no such job")
    require(user, Perm.JOB_VIEW)
    return job


def check_can_assign(user: User, role: str, partner_id: str | None, customer_id: str | None) -> None:
    """May ``user`` create/modify a user with this role in this scope? Raises PermissionDenied."""
    require(user, Perm.USER_MANAGE)
    if role not in MANAGEABLE_ROLES.get(user.role, frozenset()):
        raise PermissionDenied(f"your role may not manage {role} users")
    if user.role == Role.OPERATOR:
        return
    if customer_id and not customers_for(user).filter(id=customer_id).exists():
        raise Http404("no such customer")
    if partner_id and partner_id != user.partner_id:
        raise Http404("no such partner")


@dataclass(frozen=True)
class Visibility:
    """What of one customer's archive a user may see; the defaults mean everything.

    ``allowed_mailboxes`` None = every mailbox, a list = messages in at least one of them
    (lower-case addresses; empty = nothing). ``date_from <= date < date_to`` (aware
    datetimes, None = unbounded). ``tax_relevant_only`` keeps messages flagged
    tax-relevant. ``include_restricted`` lets the user open messages under a GDPR
    restriction. Search (inside the index query), message view, downloads and export all
    apply the same Visibility.
    """

    allowed_mailboxes: list[str] | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    tax_relevant_only: bool = False
    include_restricted: bool = True


def _day_start(d: date | None, next_day: bool = False) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=1) if next_day else d, time.min, tzinfo=BERLIN)


def active_grant(user: User, customer: Customer) -> AuditorGrant | None:
    """The auditor's grant on ``customer`` that is neither expired nor revoked."""
    return user.grants.filter(customer=customer, expires_at__gt=timezone.now(), revoked_at__isnull=True).first()


def visibility(user: User, customer: Customer) -> Visibility:
    """The complete visibility filter of ``user`` in ``customer`` (call after get_customer).

    End users see their own mailboxes; auditors what their active grant allows (mailboxes,
    mail date range in Europe/Berlin days, tax-relevant only) and a customer without an
    active grant is not found; every other role that can see the customer sees all of it.
    """
    if user.role == Role.END_USER:
        return Visibility(allowed_mailboxes=user.own_mailboxes(), include_restricted=False)
    if user.role == Role.AUDITOR:
        grant = active_grant(user, customer)
        if grant is None:
            raise Http404("no such customer")
        boxes = sorted({m.strip().lower() for m in (grant.mailboxes or []) if m.strip()})
        return Visibility(allowed_mailboxes=boxes or None, date_from=_day_start(grant.date_from),
                          date_to=_day_start(grant.date_to, next_day=True),
                          tax_relevant_only=grant.tax_relevant_only, include_restricted=False)
    return Visibility()


def self_service_allows(user: User, customer: Customer, feature: str) -> bool:
    """Whether ``user`` may use the self-service ``feature`` (``SelfService.FEATURES``) in ``customer``: end
    users only as far as their customer admin allows it (default: allowed); other roles are not limited by
    these switches (their permissions decide)."""
    if feature not in SelfService.FEATURES:
        raise ValueError(f"unknown self-service feature {feature!r}; known: {', '.join(SelfService.FEATURES)}")
    if user.role != Role.END_USER:
        return True
    settings = SelfService.objects.filter(customer=customer).first()
    return True if settings is None else bool(getattr(settings, feature))


def require_self_service(user: User, customer: Customer, feature: str) -> None:
    """PermissionDenied naming the switch when the customer admin turned ``feature`` off for end users."""
    if not self_service_allows(user, customer, feature):
        raise PermissionDenied(f"your administrator has turned off self-service {feature} for your organisation")


def restore_job_for(user: User, customer: Customer, job_id: str) -> Job:
    """A mailbox-restore job of ``customer`` that ``user`` may follow: one in their job scope or one
    they requested themselves (end users see no other jobs); else 404."""
    job = Job.objects.filter(id=job_id, customer_id=customer.id, kind="archive.restore").first()
    if job is None or not (jobs_for(user).filter(id=job.id).exists() or job.created_by == user.email):
        raise Http404("no such restore job")
    return job


def can_flag_tax_relevant(user: User, customer: Customer) -> bool:
    """Customer admins and partner staff (not end users, auditors or the operator)."""
    return has_perm(user, Perm.ARCHIVE_FLAG) and customers_for(user).filter(id=customer.id).exists()


def saved_search_visible(user: User, owner: str, shared_with_auditors: bool) -> bool:
    """Which saved searches of a customer (seen with Perm.ARCHIVE_SEARCH) ``user`` sees: auditors
    the ones shared with auditors, end users their own, customer admins and partner staff all."""
    if user.role == Role.AUDITOR:
        return shared_with_auditors
    if user.role == Role.END_USER:
        return owner == user.email
    return has_perm(user, Perm.ARCHIVE_SEARCH)


def can_edit_saved_search(user: User, owner: str) -> bool:
    """Auditors never (shared searches are read-only for them); end users their own; customer
    admins and partner staff any of the customer's."""
    if user.role == Role.AUDITOR:
        return False
    if user.role == Role.END_USER:
        return owner == user.email
    return has_perm(user, Perm.ARCHIVE_SEARCH)


def can_share_with_auditors(user: User, customer: Customer) -> bool:
    """Sharing a saved search with the customer's auditors is for those who decide what is
    tax-relevant: customer admins and partner staff."""
    return can_flag_tax_relevant(user, customer)


def grants_for(user: User) -> QuerySet[AuditorGrant]:
    """Auditor grants on customers ``user`` can see (auditors: their own grants)."""
    qs = AuditorGrant.objects.select_related("user", "customer")
    if user.role == Role.AUDITOR:
        return qs.filter(user=user)
    return qs.filter(customer__in=customers_for(user))


def get_grant(user: User, auditor_id: str, customer_id: str) -> AuditorGrant:
    """The grant of auditor ``auditor_id`` on ``customer_id`` that ``user`` may manage; else 404/403."""
    target = get_user(user, auditor_id, Perm.USER_MANAGE)
    require(user, Perm.USER_MANAGE)
    grant = grants_for(user).filter(user=target, customer_id=customer_id).first()
    if grant is None:
        raise Http404("no such grant")
    check_can_assign(user, Role.AUDITOR, None, grant.customer_id)
    return grant


def audit_scope(user: User) -> Q:
    """Which audit events ``user`` may read (403 for roles that read none).

    * operator: every event;
    * partner admin / technician: events of the partner and of its customers, and their own;
    * customer admin: events of their customer, and their own;
    * auditor: only their own actions (sign-ins, searches, views, exports under their grants);
    * end user: none (PermissionDenied).
    """
    require(user, Perm.AUDIT_VIEW)
    own = Q(actor=user.email)
    if user.role == Role.OPERATOR:
        return Q()
    if user.role in (Role.PARTNER_ADMIN, Role.PARTNER_TECH) and user.partner_id:
        return own | Q(partner_id=user.partner_id) | Q(customer_id__in=customers_for(user).values("id"))
    if user.role == Role.CUSTOMER_ADMIN and user.customer_id:
        return own | Q(customer_id=user.customer_id)
    return own


VISIBILITY_WIDENED = "archive.visibility_widened"


def visibility_widened(customer: Customer, *, actor: Any, reason: str, target: str = "",
                       detail: dict[str, Any] | None = None) -> None:
    """Record that messages already in ``customer``'s archive became visible to users who could not
    see them (e.g. a GDPR restriction lifted). Call it AFTER the change is committed (or inside its
    transaction): a client that syncs between the two must see the change no later than this record.

    Changes that write their own audit event need no call: granting an auditor access
    (``auditor.grant``) and flagging a message tax-relevant (``archive.tax_relevant`` true) count by
    themselves (``visibility_generation``)."""
    audit.record(VISIBILITY_WIDENED, actor=actor, customer=customer, target=target[:200],
                 detail={"reason": reason, **(detail or {})})


def visibility_generation(user: User, customer: Customer) -> int:
    """How often what ``user`` may see of ``customer`` may have gained messages that were archived
    before: the count of the audit events of such changes that can concern this user. It only grows
    (the audit log is append-only; the events counted depend on the role, not on the current grant,
    so a grant of another kind never lowers it), and it stays 0 for roles that see everything, so
    they never re-sync for nothing.

    * ``visibility_widened`` (e.g. a lifted restriction): end users and auditors (who do not see
      restricted messages);
    * an auditor grant given or changed (``auditor.grant`` on the user): that auditor;
    * a message flagged tax-relevant: auditors (a grant may be limited to tax-relevant mail).

    The IMAP server folds it into UIDVALIDITY (``kustos.imapd.uids``)."""
    if user.role == Role.END_USER:
        events = Q(action=VISIBILITY_WIDENED)
    elif user.role == Role.AUDITOR:
        events = (Q(action=VISIBILITY_WIDENED) | Q(action="auditor.grant", target=user.id)
                  | Q(action="archive.tax_relevant", detail__tax_relevant=True))
    else:
        return 0
    return AuditEvent.objects.filter(events, customer_id=customer.id).count()
