"""/api/v1/sources/{id}/cleanup: delete (or move to the trash) archived mail at the source's server
(synchronous, like ``kustos source cleanup``; the answer is the cleanup's result)."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.archive.services import mailbox_cleanup
from kustos.sources.base import ConnectorError

router = Router(tags=["sources"])


class CleanupIn(Schema):
    older_than_days: int | None = None  # default: the source's cleanup rule
    folders: list[str] | None = None  # default: the rule's folders, else all
    dry_run: bool = False


@router.post("/sources/{source_id}/cleanup", response=dict,
             summary="Clean up the mailbox at the server: delete (or move to the trash) mail older than N days "
                     "whose exact bytes are archived, sealed and indexed; dry_run changes nothing")
def cleanup_source(request, source_id: str, body: CleanupIn):
    source = Source.objects.select_related("customer").filter(
        id=source_id, customer__in=access.customers_for(request.auth)).first()
    if source is None:
        raise Http404("no such source")
    access.require(request.auth, Perm.SOURCE_MANAGE)
    try:
        return mailbox_cleanup.run(source, older_than_days=body.older_than_days, folders=body.folders,
                                   dry_run=body.dry_run, actor=request.auth)
    except ConnectorError as exc:
        raise HttpError(502, f"the source's server refused the cleanup: {exc}") from None
