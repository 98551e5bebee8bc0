"""Ingest rules page per customer (requirement 24): the rules with their match counters, a form
to add one (presets: spam, newsletters, private folder) and remove buttons. Views are thin:
``lifecycle.services.ingest_rules`` decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import classes, ingest_rules


@login_required
@require_http_methods(["GET", "POST"])
def ingest_rules_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        customer = access.get_customer(request.user, customer_id, Perm.RETENTION_MANAGE)
        p = request.POST
        try:
            rule = ingest_rules.add(customer, name=p.get("name", ""), field=p.get("field", ""),
                                    pattern=p.get("pattern", ""), header_name=p.get("header", ""),
                                    action=p.get("action", "exclude"), retention_class=p.get("retention_class", ""),
                                    actor=request.user)
            messages.success(request, _("Ingest rule %(name)s added. It applies to mail archived from now on.")
                             % {"name": rule.name})
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        return redirect(f"/customers/{customer.id}/ingest-rules/")
    customer = access.get_customer(request.user, customer_id, Perm.RETENTION_VIEW)
    preset = next((x for x in ingest_rules.PRESETS if x[0] == request.GET.get("preset")), None)
    context = {
        "customer": customer,
        "can_manage": access.has_perm(request.user, Perm.RETENTION_MANAGE),
        "rules": [ingest_rules.as_dict(r) for r in ingest_rules.list_rules(customer)],
        "classes": classes.list_classes(customer),
        "presets": ingest_rules.PRESETS,
        "form": {"name": _(preset[1]), "field": preset[2], "header": preset[3], "pattern": preset[4]} if preset
        else {"name": "", "field": "sender", "header": "", "pattern": ""},
        "fields": ingest_rules.FIELDS,
    }
    return render(request, "kustos/ingest_rules/page.html", context)


@login_required
@require_POST
def ingest_rule_remove(request: HttpRequest, customer_id: str, rule_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.RETENTION_MANAGE)
    try:
        ingest_rules.remove(customer, rule_id, actor=request.user)
        messages.success(request, _("Ingest rule removed."))
    except Http404:
        messages.error(request, _("This ingest rule does not exist (any more)."))
    return redirect(f"/customers/{customer.id}/ingest-rules/")
