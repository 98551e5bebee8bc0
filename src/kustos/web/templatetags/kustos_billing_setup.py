"""``{% services_billing_card customer %}``: the "Services and billing" card on a customer's page."""

from __future__ import annotations

from django import template

from kustos.tenants.models import Customer
from kustos.web.views import customer_billing

register = template.Library()


@register.inclusion_tag("kustos/billing/setup_card.html", takes_context=True)
def services_billing_card(context, customer: Customer) -> dict:
    data = customer_billing.card(context["request"].user, customer)
    data["csrf_token"] = context.get("csrf_token")
    return data
