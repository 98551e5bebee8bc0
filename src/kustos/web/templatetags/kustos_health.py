"""Health at a glance in templates: ``{% usage_panel customer %}`` (the usage charts of one customer,
customer page) and ``{% health_map rows as hmap %}`` + ``hmap|health_of:customer.id`` (each listed
customer's state per service in the customer list; one fixed set of queries per page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kustos.monitoring import health
from kustos.tenants.models import Customer
from kustos.web.views.usage_chart import usage_charts

register = template.Library()


@register.inclusion_tag("kustos/health/_usage_charts.html", takes_context=True)
def usage_panel(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    return {"usage": usage_charts(Customer.objects.filter(id=customer.id), "customer"),
            "heading": _("Usage over time")}


@register.simple_tag
def health_map(rows: Any) -> dict[str, health.CustomerHealth]:
    ids = [c.id for c in rows]
    return {h.id: h for h in health.states(Customer.objects.filter(id__in=ids))} if ids else {}


@register.filter
def health_of(hmap: dict[str, health.CustomerHealth], customer_id: str) -> health.CustomerHealth | None:
    return hmap.get(customer_id)
