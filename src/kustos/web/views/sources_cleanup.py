"""The mailbox cleanup page of a source: "Clean up mailbox now" (or a dry run) with its result and the
latest runs. Thin over ``kustos.archive.services.mailbox_cleanup``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.archive.services import mailbox_cleanup
from kustos.sources.base import ConnectorError
from kustos.sources.kinds import registry


def can_clean(source: Source) -> bool:
    kind = registry.KINDS.get(source.kind)
    return kind is not None and kind.build_mailbox_cleaner is not None


def _folders(text: str) -> list[str] | None:
    names = [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]
    return names or None


def _days(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError("older than (days) must be a whole number")
    return int(text)


@login_required
@require_http_methods(["GET", "POST"])
def source_cleanup(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.SOURCE_MANAGE)
    source = Source.objects.filter(customer=customer, id=source_id).select_related("customer").first()
    if source is None or not can_clean(source):
        raise Http404("no such source")
    rule = mailbox_cleanup.stored(source.config)
    context: dict[str, Any] = {"customer": customer, "source": source, "rule": rule, "result": None, "error": "",
                               "days": request.POST.get("older_than_days", rule.older_than_days if rule else ""),
                               "folders": request.POST.get("folders", "\n".join(rule.folders) if rule else "")}
    if request.method == "POST":
        try:
            context["result"] = mailbox_cleanup.run(
                source, older_than_days=_days(request.POST.get("older_than_days", "")),
                folders=_folders(request.POST.get("folders", "")), dry_run=bool(request.POST.get("dry_run")),
                actor=request.user)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        except ConnectorError as exc:
            context["error"] = str(exc)
    context["runs"] = mailbox_cleanup.recent_runs(source.id)
    return render(request, "kustos/sources/cleanup.html", context, status=400 if context["error"] else 200)
