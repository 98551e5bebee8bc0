"""Authorisation rows for the archive dashboard URLs (search, messages, folders, export, imports,
sources, journaling), in the format of tests/integration/authz_expectations.DASHBOARD, to be merged
into the authorisation matrix. tests/integration/web_archive/test_authz_archive.py runs exactly
these rows against authz_world, so they are verified as they stand.

Object kinds: "customer" (fills <customer_id>; for archive/export/ the customer goes in the form
data), "message" (fills <message_id> and <part> from World.attachment_part), "source" (fills
<customer_id> with the source's customer and <source_id>). ``archive_path`` and ``archive_data``
give the URL and POST data for a row; the matrix can call them for these routes.
"""

from __future__ import annotations

import re
from typing import Any

_SEE = "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"
_MANAGE_GET = "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"
_MANAGE_POST = "op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"
_VIEW_SOURCES = "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"

# (method, route) -> (object kind or None, "anon=… op=… pa=… pt=… ca=… eu=… au=…")
ARCHIVE_DASHBOARD: dict[tuple[str, str], tuple[str | None, str]] = {
    # Search: every role with archive.search; the operator never reads archives.
    ("GET", "archive/search/"): (None, "anon=302 op=403 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "archive/export/"): ("customer", f"anon=302 {_SEE}"),
    ("POST", "archive/export/z3/"): ("customer", f"anon=302 {_SEE}"),
    ("POST", "archive/export/evidence/"): ("customer", f"anon=302 {_SEE}"),
    ("GET", "archive/customers/<str:customer_id>/folders/"): ("customer", f"anon=302 {_SEE}"),
    ("GET", "archive/messages/<str:message_id>/"): ("message", f"anon=302 {_SEE}"),
    ("GET", "archive/messages/<str:message_id>/body/"): ("message", f"anon=302 {_SEE}"),
    ("GET", "archive/messages/<str:message_id>/raw/"): ("message", f"anon=302 {_SEE}"),
    # Marking mail tax-relevant: partner roles and customer admins (end users and auditors may only read).
    ("POST", "archive/messages/<str:message_id>/tax-relevant/"): (
        "message", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 "
                   "au=403/404/404"),
    # The matrix messages have no converted original (.msg): 404 where the message is visible.
    ("GET", "archive/messages/<str:message_id>/original/"): (
        "message", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 "
                   "au=404/404/404"),
    ("GET", "archive/messages/<str:message_id>/attachments/<str:part>/"): ("message", f"anon=302 {_SEE}"),
    ("GET", "archive/messages/<str:message_id>/pdf/"): ("message", f"anon=302 {_SEE}"),
    # Restore to mailbox: every role that searches but auditors (and the operator); the form (200), the
    # job started (302 to its page); a job id that is no restore job of the customer is not found.
    ("POST", "archive/restore/"): (
        "customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 "
                    "au=403/404/404"),
    ("POST", "archive/restore/start/"): (
        "customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=302/404/404 "
                    "au=403/404/404"),
    ("GET", "archive/customers/<str:customer_id>/restore/<str:job_id>/"): (
        "customer", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 "
                    "au=403/404/404"),
    # Saved searches: saving for every role that searches but auditors; share/delete/run take the id
    # in the request (none given here: not found). Folder flags: partner roles and customer admins.
    ("GET", "archive/saved-searches/"): (None, "anon=302 op=403 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "archive/saved-searches/create/"): (
        "customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=302/404/404 "
                    "au=403/404/404"),
    ("POST", "archive/saved-searches/share/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/saved-searches/remove/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "archive/saved-searches/run/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/customers/<str:customer_id>/folders/tax-relevant/"): (
        "customer", "anon=302 op=403/403/403 pa=302/404/404 pt=302/404/404 ca=302/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    # Imports: partner roles and customer admins.
    ("GET", "customers/<str:customer_id>/import/"): ("customer", f"anon=302 {_MANAGE_GET}"),
    # Sources and journaling: the operator may look, partner roles and customer admins manage.
    ("GET", "customers/<str:customer_id>/journal/"): ("customer", f"anon=302 {_VIEW_SOURCES}"),
    ("GET", "customers/<str:customer_id>/sources/"): ("customer", f"anon=302 {_VIEW_SOURCES}"),
    ("GET", "customers/<str:customer_id>/sources/new/"): ("customer", f"anon=302 {_MANAGE_GET}"),
    ("POST", "customers/<str:customer_id>/sources/new/"): ("customer", f"anon=302 {_MANAGE_POST}"),
    ("GET", "customers/<str:customer_id>/sources/bulk/"): ("customer", f"anon=302 {_MANAGE_GET}"),
    ("POST", "customers/<str:customer_id>/sources/bulk/"): ("customer", f"anon=302 {_MANAGE_POST}"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/edit/"): ("source", f"anon=302 {_MANAGE_GET}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/edit/"): ("source", f"anon=302 {_MANAGE_POST}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/test/"): ("source", f"anon=302 {_MANAGE_POST}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/pause/"): ("source", f"anon=302 {_MANAGE_POST}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/run/"): ("source", f"anon=302 {_MANAGE_POST}"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/remove/"): ("source", f"anon=302 {_MANAGE_GET}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/remove/"): (
        "source", f"anon=302 {_MANAGE_POST}"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/cleanup/"): ("source", f"anon=302 {_MANAGE_GET}"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/cleanup/"): (
        "source", "anon=302 op=403/403/403 pa=400/400/404 pt=400/400/404 ca=400/404/404 eu=403/404/404 au=403/404/404"),
}


def archive_path(route: str, world: Any, label: str, obj: Any) -> str:
    """The concrete URL of ``route`` for the target ``obj`` (labelled own/sibling/foreign)."""
    values = {"customer_id": getattr(obj, "customer_id", None) or getattr(obj, "id", ""),
              "message_id": getattr(obj, "id", ""), "source_id": getattr(obj, "id", ""), "job_id": "jb_nonexistent",
              "part": world.attachment_part.get(label, "")}
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def archive_data(route: str, world: Any, label: str, obj: Any) -> dict[str, Any]:
    """POST data that succeeds for an allowed role, so the expected code is the redirect/file."""
    if route == "archive/export/":
        return {"customer": obj.id, "scope": "all", "format": "mbox"}
    if route in ("archive/export/z3/", "archive/export/evidence/"):
        return {"customer": obj.id, "q": ""}
    if route == "archive/restore/":  # from the search toolbar: the whole result
        return {"customer": obj.id, "q": "", "scope": "all"}
    if route == "archive/restore/start/":
        return {"customer": obj.id, "query": "*", "to_mailbox": "", "to_folder": "Restored"}
    if route == "archive/saved-searches/create/":
        return {"customer": obj.id, "name": "matrix", "query": ""}
    if route.endswith("/folders/tax-relevant/"):
        return {"mailbox": "anna@alpha-own.example", "folder": "INBOX"}
    if route.endswith("sources/new/"):
        return {"kind": "imap", "host": "127.0.0.1", "port": "9", "security": "none",
                "username": "matrix@alpha-own.example", "password": "x", "interval_minutes": "15"}
    if route.endswith("sources/bulk/"):
        return {"csv_text": "127.0.0.1,9,none,bulk@alpha-own.example,secret,\n"}
    if route.endswith("/edit/"):
        return {"host": "127.0.0.1", "port": "9", "security": "none", "username": obj.config.get("username", ""),
                "interval_minutes": "30"}
    return {}
