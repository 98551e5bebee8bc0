"""Periodic lifecycle work (huey): the monthly retention run. It only PROPOSES deletions and
tells the customer's (and partner's) admins; nothing is ever deleted without approval.
Registered by importing this module where the other periodic tasks are (``cli/server.py``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.archive.services import alerts_common
from kustos.audit import services as audit
from kustos.lifecycle.services import runs
from kustos.tenants.models import Customer


def monthly_run() -> int:
    """Run retention for every active customer; returns how many proposals were created."""
    created = 0
    for customer in Customer.objects.filter(status=Customer.Status.ACTIVE):
        result = runs.run(customer, created_by="scheduler")
        if not result["id"]:
            continue
        created += 1
        sent = alerts_common.mail(
            customer, f"[Kustos] deletion proposal for {customer.name}: {result['proposed']} messages",
            f"The monthly retention run found {result['proposed']} messages of {customer.name} whose retention "
            f"period ended before {result['as_of']} and that no legal hold covers.\n\nNothing has been deleted. "
            f"Please review proposal {result['id']} on the Retention page of the dashboard and approve it, "
            "or leave it open.\n")
        audit.record("retention.notify", actor="system", customer=customer, target=result["id"],
                     detail={"recipients": sent, "messages": result["proposed"]})
    return created


@db_periodic_task(crontab(minute="17", hour="3", day="1"))
def monthly_retention_run() -> int:
    """First day of every month, 03:17: propose the expired, unheld messages of every customer."""
    return monthly_run()
