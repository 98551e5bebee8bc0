"""``{% archive_panel customer %}``: the archive links and source alerts on a customer's page."""

from __future__ import annotations

from django import template

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import alerts, alerts_ingest, mailbox_cleanup
from kustos.tenants.models import Customer

register = template.Library()


@register.inclusion_tag("kustos/sources/_customer_panel.html", takes_context=True)
def archive_panel(context, customer: Customer) -> dict:
    user = context["request"].user
    can_view_sources = access.has_perm(user, Perm.SOURCE_VIEW)
    return {
        "customer": customer,
        "can_search": access.has_perm(user, Perm.ARCHIVE_SEARCH),
        "can_import": access.has_perm(user, Perm.ARCHIVE_IMPORT),
        "can_sources": can_view_sources,
        "alerts": alerts.open_alerts(Customer.objects.filter(id=customer.id)) if can_view_sources else [],
        "ingest_alerts": alerts_ingest.open_alerts(Customer.objects.filter(id=customer.id)) if can_view_sources else [],
        "cleanup_freed": mailbox_cleanup.freed_bytes(customer.id) if can_view_sources else 0,
    }


@register.inclusion_tag("kustos/sources/_alerts.html", takes_context=True)
def source_alerts(context) -> dict:
    """Banners for failing or silent sources of every customer the user may see (for the overview):
    ``{% load kustos_archive %}{% source_alerts %}``."""
    user = context["request"].user
    if not access.has_perm(user, Perm.SOURCE_VIEW):
        return {"alerts": []}
    return {"alerts": alerts.open_alerts(access.customers_for(user))[:10],
            "ingest_alerts": alerts_ingest.open_alerts(access.customers_for(user))[:10]}
