"""/api/v1/health: each visible customer's state per service (green, yellow, red with the reasons;
the partner home), usage over time (the charts) and the installation's health (operator only; the
Installation health page, `kustos health`)."""

from __future__ import annotations

from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.core import runtime
from kustos.monitoring import health, installation, usage
from kustos.tenants.models import Customer

router = Router(tags=["health"])


@router.get("/health/customers", response=list[dict],
            summary="Each visible customer's state per service (green, yellow, red or off) with the reasons, "
                    "last success and next scheduled run; worst first")
def customer_states(request):
    access.require(request.auth, Perm.CUSTOMER_VIEW)
    return [h.as_dict() for h in health.states(access.customers_for(request.auth))]


@router.get("/customers/{customer_id}/usage/daily", response=list[dict],
            summary="Stored archive bytes and protected backup accounts per day (Europe/Berlin) over the last "
                    "`days` days (1-730), from the daily usage samples")
def customer_usage(request, customer_id: str, days: int = usage.DEFAULT_DAYS):
    customer = access.get_customer(request.auth, customer_id, Perm.CUSTOMER_VIEW)
    return usage.rows(Customer.objects.filter(id=customer.id), usage.clean_days(days))


@router.get("/health/installation", response=dict,
            summary="Installation health (operator): queue depth, pending and failed jobs, oldest pending job, "
                    "workers alive, disk usage of KUSTOS_HOME, vault usage per storage location")
def installation_health(request):
    access.require(request.auth, Perm.INSTALLATION_HEALTH)
    settings = runtime.settings()
    return installation.snapshot(home=settings.home, heartbeat_timeout=settings.job_heartbeat_timeout)
