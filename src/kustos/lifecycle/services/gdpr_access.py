"""Subject access requests (GDPR Art. 15, requirement 22).

A request for an address finds every message concerning it (``gdpr_subject.find``: sender,
recipient, other address headers, envelopes), records a ``GdprRequest`` of kind ``access``
with one ``disclosed`` decision per message, and is audit-logged. The report
(``gdpr_report``) and the export ZIP (report, original ``.eml`` files, metadata CSV with
SHA-256) are produced from the request's decisions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kustos.audit import services as audit
from kustos.lifecycle.models import GdprDecision, GdprRequest
from kustos.lifecycle.services.gdpr_erase import retention_end
from kustos.lifecycle.services.gdpr_subject import clean_subject, find
from kustos.lifecycle.services.holds import actor_name
from kustos.tenants.models import Customer

REASON = "Art. 15 access: disclosed in the access report and export"


def access(customer: Customer, subject: str, *, actor: Any) -> GdprRequest:
    address = clean_subject(subject)
    concerns = find(customer, address)
    with transaction.atomic():
        request = GdprRequest.objects.create(customer=customer, kind=GdprRequest.Kind.ACCESS, subject=address,
                                             messages=len(concerns), created_by=actor_name(actor),
                                             summary={GdprDecision.Decision.DISCLOSED.value: len(concerns)})
        GdprDecision.objects.bulk_create([
            GdprDecision(request=request, message_id=c.message.id, decision=GdprDecision.Decision.DISCLOSED,
                         reason=REASON, retention_end=retention_end(c.message))
            for c in concerns], batch_size=1000)
    audit.record("gdpr.access", actor=actor, customer=customer, target=request.id,
                 detail={"subject": address, "messages": len(concerns)})
    return request
