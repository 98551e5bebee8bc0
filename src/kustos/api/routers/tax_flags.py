"""/api/v1 tax-relevant folders (requirement 15): every message archived in a flagged folder
counts as tax-relevant, so an auditor limited to tax-relevant mail sees it."""

from __future__ import annotations

from ninja import Router, Schema

from kustos.archive.services import tax_flags

router = Router(tags=["archive"])


class FolderFlagIn(Schema):
    mailbox: str
    folder: str
    tax_relevant: bool = True


@router.get("/customers/{customer_id}/archive/folders", response=list[dict],
            summary="The customer's folders with their tax-relevant flag (customer admins, partner staff)")
def folders(request, customer_id: str):
    return tax_flags.folders_as(request.auth, customer_id)


@router.post("/customers/{customer_id}/archive/folders/tax-relevant", response=dict,
             summary="Mark a folder tax-relevant (or not); its messages are reindexed at once")
def flag_folder(request, customer_id: str, body: FolderFlagIn):
    return tax_flags.flag_folder_as(request.auth, customer_id, body.mailbox, body.folder, body.tax_relevant)
