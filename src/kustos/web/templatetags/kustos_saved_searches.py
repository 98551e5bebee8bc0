"""``{% save_search_form customer form %}``: "Save this search" on the archive search page."""

from __future__ import annotations

from typing import Any

from django import template

from kustos.accounts import access

register = template.Library()


@register.inclusion_tag("kustos/saved_searches/_save_form.html", takes_context=True)
def save_search_form(context, customer: Any, form: Any) -> dict:
    user = context["request"].user
    if customer is None:
        return {"can_save": False, "customer": None}
    return {"customer": customer, "query": form.query(), "csrf_token": context.get("csrf_token"),
            "can_save": access.can_edit_saved_search(user, user.email),
            "can_share": access.can_share_with_auditors(user, customer)}
