"""One archived message: summary, all headers, sanitised body, attachments and downloads.

Every view and download is audit-logged through ``messages.log_view``. The HTML body is
never put into the dashboard page itself: it is served from its own URL, sanitised, with
a CSP that forbids scripts and (by default) every remote load, and shown in an iframe
whose ``sandbox`` omits ``allow-scripts`` and ``allow-same-origin``.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from django.contrib import messages as ui
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.archive import ocr_texts
from kustos.archive.services import messages
from kustos.mail import get_part, has_remote_content, parse, sanitize_html

INLINE_IMAGE_LIMIT = 2 * 1024 * 1024
BODY_CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'"
BODY_CSP_REMOTE = "default-src 'none'; img-src data: cid: https: http:; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _addresses(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} <{addr}>" if name and addr else (addr or name) for name, addr in pairs)


def _own_only(pairs: list[tuple[str, str]], allowed: list[str] | None) -> list[tuple[str, str]]:
    """Bcc recipients a user limited to ``allowed`` mailboxes may see: only their own addresses."""
    if allowed is None:
        return pairs
    return [(name, addr) for name, addr in pairs if (addr or "").strip().lower() in allowed]


@login_required
@require_GET
def message_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = request.user
    message = messages.get_for(user, message_id)
    scope = messages.scope_of(user, message)
    parsed = messages.parsed(message)
    messages.log_view(user, message, "view")
    view = request.GET.get("view", "html")
    has_html = bool(parsed.body_html.strip())
    if not has_html:
        view = "text"
    context = {
        "message": message, "parsed": parsed, "view": view, "has_html": has_html,
        "remote": request.GET.get("remote") == "1",
        "has_remote": has_html and has_remote_content(parsed.body_html),
        "from": _addresses(parsed.from_), "to": _addresses(parsed.to), "cc": _addresses(parsed.cc),
        "bcc": _addresses(_own_only(parsed.bcc, scope.allowed_mailboxes)), "reply_to": _addresses(parsed.reply_to),
        # All parts, inline images included: each is part of the archived record and downloadable.
        "attachments": ocr_texts.annotate(message, parsed.attachments),  # each with its OCR outcome
        "refs": messages.visible_refs(message, scope),
        "can_export": access.has_perm(user, access.Perm.ARCHIVE_EXPORT),
        "can_download": access.self_service_allows(user, message.customer, "download"),
        "can_flag": access.can_flag_tax_relevant(user, message.customer),
        "can_restore": access.has_perm(user, access.Perm.ARCHIVE_RESTORE)
        and access.self_service_allows(user, message.customer, "restore"),
    }
    return render(request, "kustos/archive/message.html", context)


@login_required
@require_POST
def message_tax_relevant(request: HttpRequest, message_id: str) -> HttpResponse:
    """Mark the message tax-relevant (``tax_relevant=1``) or not (``0``), then show it again."""
    on = request.POST.get("tax_relevant", "1") in ("1", "on", "true")
    messages.flag_tax_relevant_as(request.user, message_id, on)
    ui.success(request, _("Marked as tax-relevant.") if on else _("No longer marked as tax-relevant."))
    return redirect(f"/archive/messages/{message_id}/")


def _cid_resolver(raw: bytes, parsed: Any):
    """cid: references → data: URLs of the inline image parts (the body CSP allows only data:)."""
    by_cid = {a.content_id.strip("<>"): a for a in parsed.attachments if a.content_id}

    def resolve(content_id: str) -> str | None:
        att = by_cid.get(content_id.strip("<>"))
        if att is None or not att.content_type.startswith("image/") or att.size > INLINE_IMAGE_LIMIT:
            return None
        data = get_part(raw, att.part_path)
        return f"data:{att.content_type};base64,{base64.b64encode(data).decode()}"

    return resolve


@login_required
@require_GET
@xframe_options_sameorigin
def message_body(request: HttpRequest, message_id: str) -> HttpResponse:
    """The sanitised HTML body as its own document (for the sandboxed iframe)."""
    user = request.user
    message = messages.get_for(user, message_id)
    raw = messages.raw(message)
    parsed = parse(raw)  # the same as messages.parsed(), without reading the vault twice
    remote = request.GET.get("remote") == "1"
    messages.log_view(user, message, "view_body")
    if parsed.body_html.strip():
        body = sanitize_html(parsed.body_html, allow_remote=remote, cid_url=_cid_resolver(raw, parsed))
    else:
        body = f"<pre>{html.escape(parsed.body_text)}</pre>"
    document = ('<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
                '<style>body{font-family:system-ui,sans-serif;font-size:14px;margin:12px;color:#18212f;'
                'word-wrap:break-word}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style>'
                f"</head><body>{body}</body></html>")
    resp = HttpResponse(document, content_type="text/html; charset=utf-8")
    resp["Content-Security-Policy"] = BODY_CSP_REMOTE if remote else BODY_CSP
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Referrer-Policy"] = "no-referrer"
    resp["Cache-Control"] = "private, no-store"
    return resp


def _download(data: bytes, filename: str, content_type: str, sha256: str | None = None) -> HttpResponse:
    resp = HttpResponse(data, content_type=content_type)
    safe = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\/;') or "download"
    resp["Content-Disposition"] = f'attachment; filename="{safe}"'
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    if sha256:
        resp["X-Content-SHA256"] = sha256
    return resp


@login_required
@require_GET
def message_raw(request: HttpRequest, message_id: str) -> HttpResponse:
    """The original .eml, byte-exact (its SHA-256 is the message's ``sha256``)."""
    message = messages.get_for_download(request.user, message_id)
    messages.log_view(request.user, message, "download")
    return _download(messages.raw(message), f"{message.id}.eml", "message/rfc822", message.sha256)


@login_required
@require_GET
def message_original(request: HttpRequest, message_id: str) -> HttpResponse:
    """The file the message was converted from (e.g. an Outlook .msg), when one is stored."""
    message = messages.get_for_download(request.user, message_id)
    data = messages.original(message)
    if data is None:
        return HttpResponse("no original file stored for this message", status=404, content_type="text/plain")
    messages.log_view(request.user, message, "download_original")
    kind = (message.original_kind or "bin").lower()
    return _download(data, f"{message.id}.{kind}", "application/octet-stream")


@login_required
@require_GET
def message_attachment(request: HttpRequest, message_id: str, part: str) -> HttpResponse:
    message = messages.get_for_download(request.user, message_id)
    data, filename, _ctype = messages.attachment(message, part)
    messages.log_view(request.user, message, "attachment")
    return _download(data, filename, "application/octet-stream")
