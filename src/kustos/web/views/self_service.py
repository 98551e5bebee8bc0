"""End-user self-service: the customer's switches page (customer admins and partner staff turn search,
download, restore and IMAP on or off for end users) and a message's PDF download. Thin: the switches
live in ``tenants.services.self_service``, the PDF in ``archive.services.message_pdf``."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages as ui
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kustos.archive.services import message_pdf, messages
from kustos.tenants.services import self_service

#: (label, explanation) of each switch, in the order of ``SelfService.FEATURES`` (search, download, restore,
#: IMAP), as the page shows them.
_TEXTS = (
    (gettext_lazy("Search and read own mail"),
     gettext_lazy("End users search the archived mail of their own mailboxes and read it in the sanitised "
                  "viewer (dashboard, API, Outlook add-in). Off: the archive search and message view answer "
                  "“turned off” for end users.")),
    (gettext_lazy("Download own mail"),
     gettext_lazy("End users download their mail as the original .eml, as PDF, single attachments and as "
                  "EML-zip or MBOX exports. Off: they can still read mail but not take copies away.")),
    (gettext_lazy("Restore into the mailbox"),
     gettext_lazy("End users put archived mail back into their own mailbox (dashboard, API, Outlook "
                  "add-in), without duplicates. Off: only administrators restore.")),
    (gettext_lazy("IMAP access for mail clients"),
     gettext_lazy("End users create app passwords and open their archive read-only in a mail client such "
                  "as Thunderbird or Apple Mail. Off: app passwords are refused at sign-in.")),
)
SWITCHES = tuple((name, label, text) for name, (label, text) in zip(self_service.FEATURES, _TEXTS, strict=True))


@login_required
@require_http_methods(["GET", "POST"])
def self_service_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        # An unticked box is not sent at all: only a post of this form (its marker field) switches off.
        if request.POST.get("form") != "self-service":
            self_service.get_as(request.user, customer_id)  # 404 outside the scope, as for a real post
            ui.error(request, _("Nothing was saved: send the settings form."))
            return redirect(f"/customers/{customer_id}/self-service/")
        changes = {name: "on" if request.POST.get(name) == "on" else "off" for name, *_rest in SWITCHES}
        try:
            self_service.update_as(request.user, customer_id, changes)
            ui.success(request, _("Self-service settings saved."))
        except ValidationError as exc:
            ui.error(request, "; ".join(exc.messages))
        return redirect(f"/customers/{customer_id}/self-service/")
    customer = self_service.get_as(request.user, customer_id)
    current = self_service.as_dict(customer)
    context = {
        "customer": customer, "settings": current, "can_manage": self_service.can_manage(request.user),
        "updated_at": datetime.fromisoformat(current["updated_at"]) if current["updated_at"] else None,
        "switches": [{"name": n, "label": label, "help": text, "on": current[n]} for n, label, text in SWITCHES],
    }
    return render(request, "kustos/self_service/page.html", context)


@login_required
@require_GET
def message_pdf_download(request: HttpRequest, message_id: str) -> HttpResponse:
    """The message as PDF: headers, the sanitised body as text, the attachments by name."""
    message = messages.get_for_download(request.user, message_id)
    data = message_pdf.render_pdf(message, messages.scope_of(request.user, message))
    messages.log_view(request.user, message, "download_pdf")
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{message.id}.pdf"'
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    return resp
