"""Retention page per customer (requirements 8–13): classes (suggested defaults with one click),
rules with the number of messages each covers, required approvals, deletion proposals with an
approve button (the signed-in user approves), tombstones. One POST endpoint; ``action`` names
the one service it calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import approve, classes, classify, proposals, rules, runs, settings, tombstones

SHOWN_TOMBSTONES = 200


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("%(name)s must be a whole number") % {"name": name}) from None


def _add_class(request: HttpRequest, customer: Any) -> str:
    p = request.POST
    years = None if p.get("forever") else p.get("years", "")
    if years == "":
        raise ValidationError(_("Give the years, or tick 'keep forever'."))
    rc = classes.add(customer, p.get("name", ""), years, tax_relevant=bool(p.get("tax_relevant")),
                     actor=request.user)
    return _("Retention class %(name)s added.") % {"name": rc.name}


def _suggest(request: HttpRequest, customer: Any) -> str:
    added = classes.add_suggested(customer, actor=request.user)
    return _("%(n)d suggested classes added.") % {"n": len(added)}


def _add_rule(request: HttpRequest, customer: Any) -> str:
    p = request.POST
    rules.add(customer, p.get("retention_class", ""), actor=request.user, mailbox=p.get("mailbox", ""),
              folder=p.get("folder", ""), from_addr=p.get("from_addr", ""), query=p.get("query", ""),
              priority=_int(p.get("priority") or "100", _("Priority")))
    return _("Rule added. Apply the rules to classify mail already archived.")


def _toggle_rule(request: HttpRequest, customer: Any) -> str:
    rule = rules.get_rule(customer, request.POST.get("rule", ""))
    rule = rules.update(customer, rule.id, active=not rule.active, actor=request.user)
    if rule.active:
        return _("Rule switched on (version %(v)d).") % {"v": rule.version}
    return _("Rule switched off (version %(v)d). Retention already set stays; it is never shortened.") % {
        "v": rule.version}


def _apply(request: HttpRequest, customer: Any) -> str:
    r = classify.apply(customer, actor=request.user)
    return _("Rules applied: %(ext)d extended, %(short)d would shorten (not changed).") % {
        "ext": r["extended"], "short": r["would_shorten"]}


def _run(request: HttpRequest, customer: Any) -> str:
    r = runs.run(customer, as_of=runs.parse_as_of(request.POST.get("as_of")), created_by=request.user.email)
    return _("%(n)d messages proposed for deletion. Nothing is deleted before approval.") % {"n": r["proposed"]}


def _approve(request: HttpRequest, customer: Any) -> str:
    r = approve.approve(approve.get_proposal(customer, request.POST.get("proposal", "")), request.user.email,
                        actor=request.user)
    if r["remaining_approvals"]:
        return _("Approved. %(n)d more approval(s) from other people needed.") % {"n": r["remaining_approvals"]}
    return _("Deleted %(deleted)d messages; %(held)d kept because of a legal hold.") % r


def _reject(request: HttpRequest, customer: Any) -> str:
    approve.reject(approve.get_proposal(customer, request.POST.get("proposal", "")), request.user.email,
                   request.POST.get("reason", ""), actor=request.user)
    return _("Proposal rejected. Nothing was deleted; the next retention run proposes the messages again "
             "unless their retention is extended.")


def _settings(request: HttpRequest, customer: Any) -> str:
    n = settings.set_required_approvals(customer, _int(request.POST.get("required_approvals", ""),
                                                       _("Required approvals")), actor=request.user)
    return _("Deletion proposals now need %(n)d approval(s).") % {"n": n}


ACTIONS: dict[str, Callable[[HttpRequest, Any], str]] = {
    "add_class": _add_class, "suggest": _suggest, "add_rule": _add_rule, "toggle_rule": _toggle_rule,
    "apply": _apply, "run": _run,
    "approve": _approve, "reject": _reject, "settings": _settings,
}


@login_required
@require_http_methods(["GET", "POST"])
def retention_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        customer = access.get_customer(request.user, customer_id, Perm.RETENTION_MANAGE)
        action = ACTIONS.get(request.POST.get("action", ""))
        try:
            if action is None:
                raise ValidationError(_("Unknown action."))
            messages.success(request, action(request, customer))
        except (ValidationError, Http404) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(f"/customers/{customer.id}/retention/")
    customer = access.get_customer(request.user, customer_id, Perm.RETENTION_VIEW)
    counts = rules.covered(customer)
    context = {
        "customer": customer,
        "can_manage": access.has_perm(request.user, Perm.RETENTION_MANAGE),
        "classes": [classes.as_row(c) for c in classes.list_classes(customer)],
        "rules": [rules.as_row(r, counts) for r in rules.list_rules(customer)],
        "suggested": classes.SUGGESTED,
        "required_approvals": settings.required_approvals(customer),
        "proposals": [proposals.as_row(p) for p in proposals.open_proposals(customer)],
        "tombstones": [tombstones.as_row(t) for t in tombstones.list_for(customer)[:SHOWN_TOMBSTONES]],
        "me": request.user.email,
    }
    return render(request, "kustos/retention/page.html", context)
