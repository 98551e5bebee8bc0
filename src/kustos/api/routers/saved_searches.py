"""/api/v1 saved searches: create, list, share with the customer's auditors, run, delete.

Auditors list and run the searches shared with them (their grant still applies inside the
index query) and may change none; end users keep their own; customer admins and partner staff
manage all of a customer's and decide what is shared (``accounts.access``).
"""

from __future__ import annotations

from ninja import Router, Schema

from kustos.compliance.services import saved_searches
from kustos.search import limits

router = Router(tags=["archive"])


class SavedSearchIn(Schema):
    name: str
    query: str = ""
    shared_with_auditors: bool = False


class ShareIn(Schema):
    shared_with_auditors: bool = True


@router.get("/customers/{customer_id}/saved-searches", response=list[dict],
            summary="The saved searches you may see (auditors: those shared with them)")
def list_saved(request, customer_id: str):
    return saved_searches.list_as(request.auth, customer_id)


@router.post("/customers/{customer_id}/saved-searches", response={201: dict},
             summary="Save a search under a name (optionally shared read-only with the customer's auditors)")
def create_saved(request, customer_id: str, body: SavedSearchIn):
    saved = saved_searches.create_as(request.auth, customer_id, body.name, body.query, body.shared_with_auditors)
    return 201, saved_searches.row(saved, editable=True)


@router.post("/saved-searches/{saved_id}/share", response=dict,
             summary="Share a saved search read-only with the customer's auditors, or stop sharing it")
def share_saved(request, saved_id: str, body: ShareIn):
    return saved_searches.row(saved_searches.share_as(request.auth, saved_id, body.shared_with_auditors))


@router.get("/saved-searches/{saved_id}/results", response=dict,
            summary="Run a saved search (your own access applies inside the query: an auditor's grant)")
def run_saved(request, saved_id: str, limit: str = "20", offset: str = "0"):
    page_limit, page_offset = limits.parse_paging(limit, offset)
    saved, result = saved_searches.run_as(request.auth, saved_id, limit=page_limit, offset=page_offset)
    return {"id": saved.id, "name": saved.name, "query": saved.query, **result}


@router.delete("/saved-searches/{saved_id}", response=dict, summary="Delete a saved search")
def delete_saved(request, saved_id: str):
    return saved_searches.remove_as(request.auth, saved_id)
