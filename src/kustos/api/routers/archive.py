"""/api/v1 archive endpoints: search, message metadata, original bytes, attachments, export."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from ninja import Router, Schema

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import export, export_files, messages
from kustos.archive.services import search as search_service
from kustos.search import limits

router = Router(tags=["archive"])




class SearchOut(Schema):
    total: int
    took_ms: float = 0.0
    hits: list[dict]
    facets: dict | None = None


class ExportIn(Schema):
    query: str = ""
    format: str = "eml-zip"


class TaxFlagIn(Schema):
    tax_relevant: bool = True


@router.get("/customers/{customer_id}/archive/search", response=SearchOut,
            summary="Full-text search in a customer's archive (your permissions apply inside the query)",
            description=f"`limit` 0..{limits.MAX_LIMIT}, `offset` 0..{limits.MAX_OFFSET}, `q` at most "
                        f"{limits.MAX_QUERY_LENGTH} characters; anything beyond answers 400 with the reason. "
                        "`sort`: `best` (default: relevance weighted by recency; newest first without "
                        "search words), `relevance` or `date`. `facets=true` adds counts per mailbox, folder, "
                        "year, sender domain and with/without attachment (the most frequent values). "
                        "`took_ms`: the time the search took.")
def search(request, customer_id: str, q: str = "", mailbox: str = "", limit: str = "20", offset: str = "0",
           sort: str = "best", facets: bool = False):
    page_limit, page_offset = limits.parse_paging(limit, offset)
    result, rows = search_service.search_rows_as(request.auth, customer_id, q, mailbox=mailbox or None,
                                                 limit=page_limit, offset=page_offset, sort=sort, facets=facets)
    return {**search_service.summary(result), "hits": rows}


@router.get("/messages/{message_id}", response=dict, summary="Metadata of an archived message")
def message(request, message_id: str):
    msg = messages.get_for(request.auth, message_id)
    messages.log_view(request.auth, msg, "view")
    return messages.metadata(msg, messages.scope_of(request.auth, msg))


@router.post("/messages/{message_id}/tax-relevant", response=dict,
             summary="Mark a message tax-relevant (or not); auditors limited to tax-relevant mail see it")
def tax_relevant(request, message_id: str, body: TaxFlagIn):
    msg = messages.flag_tax_relevant_as(request.auth, message_id, body.tax_relevant)
    return messages.metadata(msg, messages.scope_of(request.auth, msg))


@router.get("/messages/{message_id}/raw", summary="The original message bytes (.eml), byte-exact",
            response={200: None})
def raw(request, message_id: str):
    msg = messages.get_for_download(request.auth, message_id)
    messages.log_view(request.auth, msg, "download")
    resp = HttpResponse(messages.raw(msg), content_type="message/rfc822")
    resp["Content-Disposition"] = f'attachment; filename="{msg.id}.eml"'
    resp["X-Content-SHA256"] = msg.sha256
    return resp


@router.get("/messages/{message_id}/attachments/{part}", summary="One attachment of a message",
            response={200: None})
def attachment(request, message_id: str, part: str):
    msg = messages.get_for_download(request.auth, message_id)
    data, filename, ctype = messages.attachment(msg, part)
    messages.log_view(request.auth, msg, "attachment")
    resp = HttpResponse(data, content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="{filename.replace(chr(34), "")}"'
    return resp


@router.post("/customers/{customer_id}/archive/export", summary="Export matching messages (EML-zip or MBOX)",
             response={200: None})
def export_messages(request, customer_id: str, body: ExportIn):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_EXPORT)
    if body.format not in export.FORMATS:
        raise ValidationError(f"unknown export format {body.format!r}; use one of {', '.join(export.FORMATS)}")
    scope = search_service.download_scope_for(request.auth, customer)
    suffix = ".zip" if body.format == "eml-zip" else ".mbox"
    path = export_files.new_path(customer.id, f"export-{customer.id}{suffix}")
    result = export.export_query(customer, body.query, scope, body.format, path, actor=request.auth)
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name)
    resp["X-Export-Count"] = str(result["count"])
    resp["X-Content-SHA256"] = result["sha256"]
    return resp
