"""The Outlook add-in: its manifest (an XML add-in-only manifest, MailApp, a task pane in message read mode;
the same add-in as a unified app manifest and its app package zip, built in kustos.addin)
with this installation's address, and the task pane page (static HTML + JS, English and German).

Both are public: the manifest holds no secret, and the task pane signs in with an API token the user
creates under My account and pastes once (kept in the pane's local storage). Outlook on the web shows the
pane in a cross-site frame, where the dashboard's SameSite session cookie is not sent, so the pane never
relies on it. Office.js is loaded from Microsoft's official address, the one script not served by Kustos.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from kustos.addin import unified_manifest as outlook_unified

#: Microsoft's official Office.js address (tests replace it by a stub at the network layer).
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
#: Where Outlook shows the pane: Outlook on the web and the new Outlook frame it; desktop uses a web view.
FRAME_ANCESTORS = ("'self' https://*.office.com https://*.office365.com https://*.outlook.com "
                   "https://outlook.live.com https://*.officeapps.live.com https://*.microsoft.com")
TASKPANE_CSP = (
    f"default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; style-src 'self' 'unsafe-inline'; "
    f"img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    f"base-uri 'none'; form-action 'self'; frame-ancestors {FRAME_ANCESTORS}"
)
_ADDIN_NAMESPACE = uuid.UUID("6f1d2a3e-6b0c-4c59-9d0e-4b7a7f1c2e11")


def base_url() -> str:
    """The installation's public address (``KUSTOS_BASE_URL``), never the request's Host header."""
    return settings.KUSTOS.public_url


def addin_id(base: str) -> str:
    """A stable add-in id per installation address (a centrally deployed add-in is known by its id)."""
    return str(uuid.uuid5(_ADDIN_NAMESPACE, base))


def manifest_xml(base: str) -> str:
    return render_to_string("kustos/outlook/manifest.xml", {"base": base, "addin_id": addin_id(base)})


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    resp = HttpResponse(manifest_xml(base_url()), content_type="application/xml; charset=utf-8")
    resp["Content-Disposition"] = 'inline; filename="kustos-outlook-manifest.xml"'
    resp["Cache-Control"] = "no-cache"
    return resp


@require_GET
def manifest_unified(request: HttpRequest) -> HttpResponse:
    """The same add-in in the unified app manifest (JSON), built by kustos.addin."""
    base = base_url()
    resp = HttpResponse(outlook_unified.manifest_json(base, addin_id(base)),
                        content_type="application/json; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    return resp


@require_GET
def app_package(request: HttpRequest) -> HttpResponse:
    """The app package (zip: manifest.json and its icons) an admin uploads under Integrated apps."""
    base = base_url()
    resp = HttpResponse(outlook_unified.app_package(base, addin_id(base)), content_type="application/zip")
    resp["Content-Disposition"] = 'attachment; filename="kustos-outlook-app-package.zip"'
    resp["Cache-Control"] = "no-cache"
    return resp


@require_GET
@xframe_options_exempt
def taskpane(request: HttpRequest) -> HttpResponse:
    resp = render(request, "kustos/outlook/taskpane.html", {"office_js": OFFICE_JS, "base": base_url()})
    resp["Content-Security-Policy"] = TASKPANE_CSP
    resp["Referrer-Policy"] = "no-referrer"
    resp["Cache-Control"] = "no-cache"
    return resp
