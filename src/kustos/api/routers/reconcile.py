"""/api/v1 reconcile: a customer's completeness report (ingest sequence, sources, journaling).

Needs `source.view` (as the sources and quarantine pages); ``live=true`` also asks the sources for
their current counts where that is cheap (IMAP).
"""

from __future__ import annotations

from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import reconcile

router = Router(tags=["imports"])


@router.get("/customers/{customer_id}/reconcile", response=dict,
            summary="Completeness report: gaps in the ingest sequence, per source and journaling address "
                    "delivered vs archived, each line ok / gap / pending")
def reconcile_report(request, customer_id: str, live: bool = False):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return reconcile.report(customer, live=live, actor=request.auth)
