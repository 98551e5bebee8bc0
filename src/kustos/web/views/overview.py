"""The home page: what the signed-in user is responsible for, and whether anything needs attention."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import Role
from kustos.accounts.services import operator_access
from kustos.archive.services import evidence_renewal
from kustos.jobs.models import Job
from kustos.monitoring import health
from kustos.tenants.models import Customer
from kustos.web.views.usage_chart import usage_charts

HOME_HEALTH_ROWS = 100  # customers in the home's health table (worst first; all are in the customer list)


def _job_summary(user) -> dict:
    jobs = access.jobs_for(user)
    since = timezone.now() - timedelta(days=7)
    counts = jobs.aggregate(
        running=Count("id", filter=Q(state__in=[Job.State.QUEUED, Job.State.RUNNING, Job.State.RETRYING])),
        failed=Count("id", filter=Q(state=Job.State.FAILED, created_at__gte=since)),
    )
    return {**counts, "recent": jobs[:6]}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"role": user.role, "operator_access": operator_access.notices_for(user)}
    if access.has_perm(user, Perm.CUSTOMER_VIEW):
        customers = access.customers_for(user)
        context["customer_stats"] = customers.aggregate(
            total=Count("id"), storage=Sum("storage_bytes"), mailboxes=Sum("mailbox_count"),
            deleting=Count("id", filter=Q(status=Customer.Status.DELETING)),
            archiving=Count("id", filter=Q(archiving_enabled=True)),
            backup=Count("id", filter=Q(backup_enabled=True)),
        )
        context["recent_customers"] = customers.order_by("-created_at")[:5]
        context["evidence_warnings"] = evidence_renewal.recent_warnings(customers)
        states = health.states(customers)
        # worst first: the rows that need attention; with many customers the rest is in the customer list
        context["health"] = states[:HOME_HEALTH_ROWS]
        context["health_more"] = max(0, len(states) - HOME_HEALTH_ROWS)
        context["health_summary"] = health.summary(states)
        context["show_partner"] = user.role == Role.OPERATOR
        context["usage"] = usage_charts(customers, "home")
    if access.has_perm(user, Perm.JOB_VIEW):
        context["jobs"] = _job_summary(user)
    if access.has_perm(user, Perm.PARTNER_VIEW):
        context["partner_count"] = access.partners_for(user).count()
        context["location_count"] = access.locations_for(user).count()
    context["can_installation_health"] = access.has_perm(user, Perm.INSTALLATION_HEALTH)
    if user.role == Role.AUDITOR:
        context["grants"] = user.grants.select_related("customer").filter(expires_at__gt=timezone.now())
    if user.role == Role.END_USER:
        context["mailboxes"] = user.own_mailboxes()
    if user.role in (Role.CUSTOMER_ADMIN, Role.END_USER) and user.customer_id:
        context["own_customer"] = user.customer
    return render(request, "kustos/overview.html", context)
