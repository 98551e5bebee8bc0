"""/api/v1 full-text search across a customer's backup snapshots (``backup.restore``: hits show contents)."""

from __future__ import annotations

from ninja import Router

from kustos.backup.services import search as backup_search
from kustos.search import limits

router = Router(tags=["backup"])


@router.get("/customers/{customer_id}/backup/search", response=dict,
            summary="Full-text search across the customer's backup snapshots (mail, file names, document text)",
            description="Without `snapshot`, every indexed item version is searched and each hit names the "
                        "latest snapshot holding it (`snapshot`, `time`) and the first (`first_time`); with "
                        "`snapshot`, only the versions contained in that snapshot. `source` limits the search to "
                        f"one source's backup. `limit` 0..{limits.MAX_LIMIT}, `offset` 0..{limits.MAX_OFFSET}; "
                        "a malformed query answers 400 with the reason. `pending` counts snapshots not indexed "
                        "yet.")
def search(request, customer_id: str, q: str = "", snapshot: str = "", source: str = "", limit: str = "20",
           offset: str = "0"):
    page_limit, page_offset = limits.parse_paging(limit, offset)
    page = backup_search.search_as(request.auth, customer_id, q, snapshot=snapshot or None, source=source or None,
                                   limit=page_limit, offset=page_offset)
    return {"total": page.total, "truncated": page.truncated, "pending": page.pending, "hits": page.hits}
