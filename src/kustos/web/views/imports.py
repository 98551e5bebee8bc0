"""Import page per customer: resumable browser upload (static/kustos/upload.js) through the
upload API (/api/v1/customers/{id}/uploads …), then the import job's page.

The page itself only renders the form and the customer's recent uploads; the bytes go to
the JSON API, which accepts the dashboard session with the X-CSRFToken header.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Mailbox, Upload

CHUNK_SIZE = 8 * 1024 * 1024
ACCEPT = ".pst,.ost,.mbox,.mbx,.eml,.emlx,.msg,.zip,.tar,.tgz,.gz"


@login_required
@require_GET
@ensure_csrf_cookie
def import_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.ARCHIVE_IMPORT)
    context = {
        "customer": customer,
        "uploads": Upload.objects.filter(customer=customer).order_by("-created_at")[:20],
        "mailboxes": list(Mailbox.objects.filter(customer=customer).values_list("address", flat=True)[:500]),
        "chunk_size": CHUNK_SIZE,
        "accept": ACCEPT,
    }
    return render(request, "kustos/archive/import.html", context)
