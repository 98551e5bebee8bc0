"""``{% usage_panel customer %}``: the usage charts of one customer (customer page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kustos.tenants.models import Customer
from kustos.web.views.usage_chart import usage_charts

register = template.Library()


@register.inclusion_tag("kustos/health/_usage_charts.html", takes_context=True)
def usage_panel(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    return {"usage": usage_charts(Customer.objects.filter(id=customer.id), "customer"),
            "heading": _("Usage over time")}
