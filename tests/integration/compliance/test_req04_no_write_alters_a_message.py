"""Requirement 4: no API, CLI or dashboard path alters the stored bytes or core metadata of an
archived message.

Every write operation is enumerated from the running configuration — the OpenAPI operations with
POST/PUT/PATCH/DELETE, every dashboard URL pattern whose view accepts POST (read from the
resolver), every leaf command of the `kustos` parser tree — and must have a row in the tables
below, so a new endpoint or command fails this test until it is classified. Every operation that
can touch a message is then exercised (as the most privileged role that may call it, with
plausible inputs) against an archive with messages, and afterwards each message's raw bytes
(SHA-256 of what the vault returns) and core metadata (archive id, sequence, SHA-256, vault
object, size, date, Message-ID, sender, recipients, subject, envelope, mailbox/folder refs) are
asserted unchanged: operations that add may only add messages and references.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.views.decorators.http import require_POST
from ninja import NinjaAPI, Router

from kustos.accounts.services import tokens
from kustos.api.root import api
from kustos.archive.models import Message, Quarantine
from kustos.archive.services import quarantine
from kustos.archive.services import sources as source_service
from kustos.cli import registry
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.lifecycle.services import classes, proposals, rules
from kustos.lifecycle.services import gdpr as gdpr_service
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.archive_access.conftest import (  # noqa: F401  (fixtures)
    ALICE,
    World,
    _fast_password_hashing,
    world,
)
from tests.integration.web.session import sign_in

# --- the classification ------------------------------------------------------------------------

NONE = "does not touch archived messages"
READS = "reads messages only (search, view, download, export, reports)"
ADDS = "adds messages or references; a known message only gains references"
FLAGS = "sets metadata that is not core (tax-relevant flag)"
WIPES = "deletes a whole customer (typed confirmation, crypto-shred, deletion record)"
VAULT = "vault maintenance: keeps every object a message references"
BACKUP = "backup pool only (its own packs and index; never archive packs)"
RESTRICTS = "sets the GDPR restriction (not core metadata; bytes and references stay) or proposes deletion"

RETAINS = "sets retention class and end (not core metadata; only extends unless explicitly migrated) or proposes"
DELETES = "carries out an approved deletion proposal (expired, unheld messages only; a tombstone each)"

RESTORES = "reads messages and writes copies into a live mailbox through a source (never into the archive)"

CLEANS = "reads messages and deletes them at a source's mail server once archived (never in the archive)"

TOUCHING = {READS, ADDS, FLAGS, WIPES, VAULT, RESTRICTS, RETAINS, DELETES, RESTORES, CLEANS}

API_WRITES: dict[tuple[str, str], str] = {
    ("DELETE", "/api/v1/me/tokens/{token_id}"): NONE,
    ("DELETE", "/api/v1/me/app-passwords/{app_password_id}"): NONE,
    ("DELETE", "/api/v1/saved-searches/{saved_id}"): NONE,
    ("DELETE", "/api/v1/sources/{source_id}"): NONE,  # archived mail stays
    ("DELETE", "/api/v1/users/{user_id}/grants/{customer_id}"): NONE,
    ("PATCH", "/api/v1/customers/{customer_id}"): NONE,
    ("PATCH", "/api/v1/customers/{customer_id}/journal"): NONE,
    ("PATCH", "/api/v1/partners/{partner_id}"): NONE,
    ("PATCH", "/api/v1/sources/{source_id}"): NONE,
    ("PATCH", "/api/v1/users/{user_id}"): NONE,
    ("POST", "/api/v1/customers"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/archive/export"): READS,
    ("POST", "/api/v1/customers/{customer_id}/archive/restore"): RESTORES,
    ("POST", "/api/v1/sources/{source_id}/cleanup"): CLEANS,
    ("POST", "/api/v1/customers/{customer_id}/backup/alerts/acknowledge"): BACKUP,
    ("POST", "/api/v1/customers/{customer_id}/delete"): WIPES,
    ("POST", "/api/v1/customers/{customer_id}/exports/z3"): READS,
    ("POST", "/api/v1/customers/{customer_id}/exports/evidence"): READS,
    ("POST", "/api/v1/customers/{customer_id}/verify"): READS,
    ("POST", "/api/v1/customers/{customer_id}/procedure-doc"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/quarantine/{item_id}/retry"): ADDS,
    ("POST", "/api/v1/customers/{customer_id}/sources"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/uploads"): ADDS,
    ("POST", "/api/v1/locations"): NONE,
    ("POST", "/api/v1/me/password"): NONE,
    ("POST", "/api/v1/me/tokens"): NONE,
    ("POST", "/api/v1/me/app-passwords"): NONE,
    ("POST", "/api/v1/messages/{message_id}/tax-relevant"): FLAGS,
    ("POST", "/api/v1/partners"): NONE,
    ("POST", "/api/v1/sources/{source_id}/backup"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/activate-csv"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/forget"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/restore"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/restore/preview"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/seed"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/backup/run"): BACKUP,
    ("POST", "/api/v1/sources/{source_id}/run"): ADDS,
    ("POST", "/api/v1/sources/{source_id}/scopes"): NONE,
    ("POST", "/api/v1/sources/{source_id}/test"): NONE,
    ("POST", "/api/v1/uploads/{upload_id}/complete"): ADDS,
    ("POST", "/api/v1/users"): NONE,
    ("POST", "/api/v1/users/{user_id}/grants"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/saved-searches"): NONE,
    ("POST", "/api/v1/saved-searches/{saved_id}/share"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/archive/folders/tax-relevant"): FLAGS,
    # OCR: re-queues failed attachments; the job adds recognised text to the search document only
    ("POST", "/api/v1/customers/{customer_id}/ocr/run"): NONE,
    ("PUT", "/api/v1/uploads/{upload_id}"): ADDS,
    ("POST", "/api/v1/customers/{customer_id}/holds"): NONE,  # records hold items; messages untouched
    ("POST", "/api/v1/customers/{customer_id}/holds/{hold_id}/release"): NONE,
    # billing set-up: the price list and trials (a customer's service flag at most); no message is touched
    ("POST", "/api/v1/prices"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/trials"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/gdpr/requests"): RESTRICTS,
    ("POST", "/api/v1/customers/{customer_id}/retention/classes"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/retention/classes/suggested"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/retention/rules"): NONE,
    ("PATCH", "/api/v1/customers/{customer_id}/retention/rules/{rule_id}"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/retention/settings"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/retention/apply"): RETAINS,
    ("POST", "/api/v1/customers/{customer_id}/retention/migrate"): RETAINS,
    ("POST", "/api/v1/customers/{customer_id}/retention/runs"): RETAINS,
    ("POST", "/api/v1/customers/{customer_id}/retention/proposals/{proposal_id}/approve"): DELETES,
    ("POST", "/api/v1/customers/{customer_id}/retention/proposals/{proposal_id}/reject"): NONE,  # proposal only
    # ingest rules decide about mail arriving later; archived messages are never touched
    ("POST", "/api/v1/customers/{customer_id}/ingest-rules"): NONE,
    # end-user self-service switches: settings of the customer, no message is touched
    ("PUT", "/api/v1/customers/{customer_id}/self-service"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/key-export"): NONE,  # writes a key file for kustos-read
    ("POST", "/api/v1/customers/{customer_id}/exit-export"): NONE,  # reads the archive into export files
    ("DELETE", "/api/v1/customers/{customer_id}/ingest-rules/{rule_id}"): NONE,
    # notification routes and webhook endpoints of a partner: no message is touched
    ("POST", "/api/v1/partners/{partner_id}/notify/routes"): NONE,
    ("DELETE", "/api/v1/notify/routes/{route_id}"): NONE,
    ("POST", "/api/v1/partners/{partner_id}/webhooks"): NONE,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): NONE,
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): NONE,
    ("POST", "/api/v1/partners/{partner_id}/notify/settings"): NONE,
    # single sign-on: identity providers and sign-in policy of a partner or customer, no message is touched
    ("POST", "/api/v1/partners/{partner_id}/sso-providers"): NONE,
    ("POST", "/api/v1/customers/{customer_id}/sso-providers"): NONE,
    ("PATCH", "/api/v1/sso-providers/{provider_id}"): NONE,
    ("DELETE", "/api/v1/sso-providers/{provider_id}"): NONE,
    ("POST", "/api/v1/sso-providers/{provider_id}/test"): NONE,
    ("PUT", "/api/v1/partners/{partner_id}/sign-in-policy"): NONE,
    ("PUT", "/api/v1/customers/{customer_id}/sign-in-policy"): NONE,
}

DASHBOARD_POSTS: dict[str, str] = {
    "healthz": NONE,
    "login/": NONE,
    "login/otp/": NONE,
    "logout/": NONE,
    "password-reset/": NONE,
    "password-reset/<uidb64>/<token>/": NONE,
    "account/language/": NONE,
    "account/password/": NONE,
    "account/tokens/": NONE,
    "account/tokens/<str:token_id>/revoke/": NONE,
    "account/app-passwords/create/": NONE,
    "account/app-passwords/<str:app_password_id>/revoke/": NONE,
    "account/2fa/setup/": NONE,
    "partners/": NONE,
    "partners/<str:partner_id>/": NONE,
    "locations/": NONE,
    "customers/new/": NONE,
    "customers/<str:customer_id>/edit/": NONE,
    "customers/<str:customer_id>/delete/": WIPES,
    "users/new/": NONE,
    "users/<str:user_id>/role/": NONE,
    "users/<str:user_id>/active/": NONE,
    "users/<str:user_id>/grants/": NONE,
    "users/<str:user_id>/grants/revoke/": NONE,
    "users/<str:user_id>/2fa-reset/": NONE,
    "archive/export/": READS,
    "archive/restore/": NONE,  # the restore form for a selection (renders only)
    "archive/restore/start/": RESTORES,
    "archive/export/z3/": READS,
    "archive/export/evidence/": READS,
    "customers/<str:customer_id>/integrity/verify/": READS,
    "archive/messages/<str:message_id>/tax-relevant/": FLAGS,
    "archive/customers/<str:customer_id>/folders/tax-relevant/": FLAGS,
    "archive/saved-searches/create/": NONE,
    "archive/saved-searches/share/": NONE,
    "archive/saved-searches/remove/": NONE,
    "customers/<str:customer_id>/journal/": NONE,
    "customers/<str:customer_id>/sources/new/": NONE,
    "customers/<str:customer_id>/sources/bulk/": NONE,
    "customers/<str:customer_id>/sources/<str:source_id>/edit/": NONE,
    "customers/<str:customer_id>/sources/<str:source_id>/test/": NONE,
    "customers/<str:customer_id>/sources/<str:source_id>/pause/": NONE,
    "customers/<str:customer_id>/sources/<str:source_id>/run/": ADDS,
    "customers/<str:customer_id>/sources/<str:source_id>/cleanup/": CLEANS,
    "customers/<str:customer_id>/sources/<str:source_id>/remove/": NONE,
    "customers/<str:customer_id>/quarantine/<str:item_id>/retry/": ADDS,
    "customers/<str:customer_id>/backup/alerts/ack/": BACKUP,
    "customers/<str:customer_id>/sources/<str:source_id>/backup/enable/": BACKUP,
    "customers/<str:customer_id>/sources/<str:source_id>/backup/run/": BACKUP,
    "customers/<str:customer_id>/sources/<str:source_id>/backup/restore/": BACKUP,
    "customers/<str:customer_id>/sources/<str:source_id>/backup/seed/": BACKUP,
    "customers/<str:customer_id>/sources/<str:source_id>/backup/activate/": BACKUP,
    "customers/<str:customer_id>/compliance/procedure-doc/": NONE,
    "customers/<str:customer_id>/holds/": NONE,
    "customers/<str:customer_id>/holds/<str:hold_id>/release/": NONE,
    "prices/": NONE,
    "customers/<str:customer_id>/trial/": NONE,
    "customers/<str:customer_id>/gdpr/": RESTRICTS,
    "customers/<str:customer_id>/retention/": DELETES,  # classes, rules, apply, run, approve
    "customers/<str:customer_id>/ingest-rules/": NONE,  # rules for mail arriving later
    "customers/<str:customer_id>/ingest-rules/<str:rule_id>/remove/": NONE,
    "customers/<str:customer_id>/self-service/": NONE,  # end-user self-service switches
    "customers/<str:customer_id>/key-export/": NONE,  # a key file for kustos-read
    "customers/<str:customer_id>/exit-export/": NONE,  # reads the archive into export files
    "notifications/routes/": NONE,
    "notifications/webhooks/": NONE,
    "notifications/settings/": NONE,
    "partners/<str:partner_id>/sso/": NONE,  # single sign-on providers and sign-in policy
    "partners/<str:partner_id>/sso/policy/": NONE,
    "customers/<str:customer_id>/sso/": NONE,
    "customers/<str:customer_id>/sso/policy/": NONE,
    "sso-providers/<str:provider_id>/": NONE,
    "sso-providers/<str:provider_id>/enabled/": NONE,
    "sso-providers/<str:provider_id>/test/": NONE,
    "sso-providers/<str:provider_id>/remove/": NONE,
}

CLI_COMMANDS: dict[str, str] = {
    "serve": ADDS,  # SMTP journaling + scheduled sources (the drain and source runs, exercised below)
    "smtpd": ADDS,
    "worker": ADDS,  # runs queued jobs: imports, source runs (exercised through their commands)
    "scheduler": NONE,  # only queues jobs
    "migrate": NONE,
    "createadmin": NONE,
    "partner create": NONE,
    "partner list": NONE,
    "customer create": NONE,
    "customer list": NONE,
    "customer show": NONE,
    "customer delete": WIPES,
    "user create": NONE,
    "user token create": NONE,
    "user token list": NONE,
    "user token revoke": NONE,
    "user app-password create": NONE,
    "user app-password list": NONE,
    "user app-password revoke": NONE,
    "imapd": READS,  # the read-only IMAP server: every write command answers NO (tests/integration/imapd/)
    "mcp": READS,  # read-only MCP tools: search, view, attachment text, mailboxes (tests/integration/mcp/)
    "user password": NONE,
    "jobs list": NONE,
    "jobs reap": NONE,
    "vault stats": NONE,
    "vault verify": VAULT,
    "vault gc": VAULT,
    "vault recover": VAULT,
    "index rebuild": NONE,  # drops and refills the search index only (tests/integration/archive_access/test_search_outdated_index.py)
    "vault seal": VAULT,
    "vault proof": VAULT,
    "vault renew": VAULT,  # re-time-stamps ledger batches; renewals are stored beside, nothing is rewritten
    "evidence export": READS,
    "import": ADDS,
    "search": READS,
    "message show": READS,
    "message raw": READS,
    "message pdf": READS,
    "customer self-service": NONE,  # end-user self-service switches
    "customer key export": NONE,  # a key file for kustos-read
    "customer export": NONE,  # the exit export: reads the archive into files
    "message flag-tax": FLAGS,
    "archive flag-folder": FLAGS,
    "archive folders": NONE,
    "ocr status": NONE,
    "ocr run": NONE,  # recognised text goes to the search document; message bytes and rows untouched
    "saved-search add": NONE,
    "saved-search list": NONE,
    "saved-search share": NONE,
    "saved-search remove": NONE,
    "alerts list": NONE,
    "alerts check": NONE,
    "health": NONE,  # reads job, queue, disk and vault numbers and customer states
    "export": READS,
    "restore": RESTORES,
    "source add imap": NONE,
    "source add pop3": NONE,
    "source add graph": NONE,
    "source add gmail": NONE,
    "source add salesforce": NONE,
    "source add dropbox": NONE,
    "source add box": NONE,
    "source list": NONE,
    "source run": ADDS,
    "source cleanup": CLEANS,
    "source test": NONE,
    "source scopes": NONE,
    "journal address": NONE,
    "journal configure": NONE,
    "journal setup": NONE,
    "quarantine list": NONE,
    "quarantine show": NONE,
    "quarantine retry": ADDS,
    "auditor grant": NONE,
    "auditor list": NONE,
    "auditor revoke": NONE,
    "backup enable": BACKUP,
    "backup forget": BACKUP,
    "backup run": BACKUP,
    "backup snapshots": BACKUP,
    "backup ls": BACKUP,
    "backup restore": BACKUP,
    "backup download": BACKUP,
    "backup alerts ack": BACKUP,
    "backup accounts": BACKUP,
    "backup timeline": BACKUP,
    "backup activate": BACKUP,
    "backup search": BACKUP,
    "backup index": BACKUP,
    "backup compare": BACKUP,
    "backup show": BACKUP,
    "backup seed": BACKUP,
    "procedure-doc": NONE,
    "art30": NONE,
    "audit log": NONE,
    "audit verify": NONE,
    "billing csv": NONE,
    "billing show": NONE,
    "reconcile": READS,
    "usage sample": NONE,  # reads vault usage figures and backup accounts, writes usage rows
    "usage show": NONE,
    "trial start": NONE,
    "trial list": NONE,
    "price set": NONE,
    "price list": NONE,
    "hold create": NONE,
    "hold release": NONE,
    "hold list": NONE,
    "hold show": NONE,
    "hold refresh": NONE,
    "gdpr access": READS,
    "gdpr erase": RESTRICTS,
    "gdpr restrict": RESTRICTS,
    "gdpr requests": NONE,
    "gdpr show": READS,
    "ingest-rule add": NONE,
    "ingest-rule list": NONE,
    "ingest-rule remove": NONE,
    "retention class add": NONE,
    "retention class list": NONE,
    "retention class suggest": NONE,
    "retention rule add": NONE,
    "retention rule update": NONE,
    "retention rule list": NONE,
    "retention apply": RETAINS,
    "retention migrate": RETAINS,
    "retention run": RETAINS,
    "retention proposals": NONE,
    "retention approve": DELETES,
    "retention reject": NONE,
    "retention settings": NONE,
    "tombstones": NONE,
    "webhook add": NONE,
    "webhook list": NONE,
    "webhook test": NONE,
    "webhook deliveries": NONE,
    "webhook remove": NONE,
    "notify route add": NONE,
    "notify route list": NONE,
    "notify route remove": NONE,
    "notify settings": NONE,
    "notify check": NONE,
    "notify retry": NONE,
    "sso list": NONE,  # single sign-on providers and sign-in policy
    "sso add": NONE,
    "sso set": NONE,
    "sso remove": NONE,
    "sso test": NONE,
    "sso policy": NONE,
}

# Commands that run a long-lived service: what they do to messages is exercised through the
# operations they run (journal drain, source runs, imports), not by starting the service here.
SERVICES = {"serve", "smtpd", "worker", "imapd", "mcp"}

# --- enumeration ---------------------------------------------------------------------------------

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def api_writes(ninja_api: NinjaAPI = api, path_prefix: str | None = None) -> set[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema(path_prefix=path_prefix)
    return {(m.upper(), path) for path, ops in schema["paths"].items() for m in ops if m.upper() in WRITE_METHODS}


def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _walk(p, route)
        elif isinstance(p, URLPattern):
            out.append((route, p.callback))
    return out


def _allowed_methods(view: Any) -> set[str] | None:
    """The methods a view's ``require_http_methods`` decorator allows; None when unrestricted."""
    func = view
    while func is not None:
        try:
            found = inspect.getclosurevars(func).nonlocals.get("request_method_list")
        except (TypeError, ValueError):
            found = None
        if found is not None:
            return set(found)
        func = getattr(func, "__wrapped__", None)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    return None


def dashboard_posts(urlconf: Any = "kustos.urls") -> set[str]:
    return {route for route, view in _walk(get_resolver(urlconf))
            if not route.startswith(("i18n/", "static/", "api/"))
            and (_allowed_methods(view) is None or "POST" in (_allowed_methods(view) or set()))}


def cli_commands(parser: argparse.ArgumentParser | None = None) -> set[str]:
    def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> list[str]:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return [" ".join(path)]
        return [leaf for a in subs for name, p in a.choices.items() for leaf in leaves(p, (*path, name))]
    return set(leaves(parser or registry.build_parser(), ()))


def unclassified(api_ops: set[tuple[str, str]], posts: set[str], commands: set[str]) -> list[str]:
    """Everything found that has no row, and every row whose endpoint is gone."""
    problems = []
    for found, table, what in ((api_ops, set(API_WRITES), "API operation"),
                               (posts, set(DASHBOARD_POSTS), "dashboard URL accepting POST"),
                               (commands, set(CLI_COMMANDS), "CLI command")):
        problems += [f"{what} not classified: {item}" for item in sorted(found - table, key=str)]
        problems += [f"{what} classified but gone: {item}" for item in sorted(table - found, key=str)]
    return problems


def test_req04_every_write_operation_is_classified():
    assert unclassified(api_writes(), dashboard_posts(), cli_commands()) == []


class _UrlsWithANewPostView:
    """The dashboard's URL configuration plus one new view that accepts POST."""

    urlpatterns = [*get_resolver("kustos.urls").url_patterns,
                   path("archive/messages/<str:message_id>/rewrite/", require_POST(lambda request, message_id: None))]


def test_req04_a_new_write_endpoint_or_command_fails_until_classified():
    extra = Router()
    extra.patch("/messages/{message_id}", summary="a new write operation")(lambda request, message_id: None)
    new_api = NinjaAPI(urls_namespace="req04-new")
    new_api.add_router("", extra)
    parser = registry.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands.add_parser("rewrite-message")
    problems = unclassified(api_writes() | api_writes(new_api, "/api/v1/"), dashboard_posts(_UrlsWithANewPostView), cli_commands(parser))
    assert problems == ["API operation not classified: ('PATCH', '/api/v1/messages/{message_id}')",
                        "dashboard URL accepting POST not classified: archive/messages/<str:message_id>/rewrite/",
                        "CLI command not classified: rewrite-message"]


def test_req04_the_enumeration_sees_write_endpoints_and_post_views():
    # the enumeration itself works: known write paths are found, GET-only views are not
    assert ("POST", "/api/v1/messages/{message_id}/tax-relevant") in api_writes()
    assert "archive/messages/<str:message_id>/tax-relevant/" in dashboard_posts()
    assert "archive/search/" not in dashboard_posts()
    assert {"message flag-tax", "import", "vault gc"} <= cli_commands()


# --- the invariant ---------------------------------------------------------------------------------

def snapshot(customer_id: str) -> dict[str, tuple[tuple, str, frozenset]]:
    """Per message: core metadata, SHA-256 of the bytes the vault returns, and its references."""
    store = runtime.vault().store(customer_id)
    out = {}
    for m in Message.objects.filter(customer_id=customer_id).order_by("seq"):
        core = (m.id, m.seq, m.sha256, m.vault_id, m.size, m.original_vault_id, m.kind, m.message_id, m.subject,
                m.from_addr, tuple(m.to_addrs), m.date, m.archived_at)
        refs = frozenset((r.mailbox.address, r.folder.path, r.source, r.source_ref, r.envelope_from,
                          tuple(r.envelope_to)) for r in m.refs.select_related("mailbox", "folder"))
        out[m.id] = (core, hashlib.sha256(store.get(m.vault_id)).hexdigest(), refs)
    return out


def assert_unchanged(before: dict, after: dict, *, may_add: bool, what: str) -> None:
    assert set(before) <= set(after), f"{what}: messages vanished: {sorted(set(before) - set(after))}"
    if not may_add:
        assert set(after) == set(before), f"{what}: messages appeared"
    for mid, (core, digest, refs) in before.items():
        core_after, digest_after, refs_after = after[mid]
        assert core_after == core, f"{what}: core metadata of {mid} changed"
        assert digest_after == digest == core[2], f"{what}: bytes of {mid} changed"
        assert refs <= refs_after, f"{what}: references of {mid} changed"
        if not may_add:
            assert refs_after == refs, f"{what}: references of {mid} changed"


# --- exercising every operation that can touch a message ----------------------------------------------

class Bench:
    def __init__(self, w: World, capsys: Any, tmp_path: Any) -> None:
        self.w, self.capsys, self.tmp = w, capsys, tmp_path
        self.cid = w.customer.id
        self.raw = runtime.vault().store(self.cid).get(w.by_i[0].vault_id)
        self.api_client, self.web = Client(), w.client("admin")
        self.source = source_service.add(w.customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                             "username": "x", "mailbox": ALICE}, "pw")
        self._wiped = 0

    def api(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        call = getattr(self.api_client, method.lower())
        if body is not None and "content_type" not in extra:
            extra = {"data": json.dumps(body), "content_type": "application/json", **extra}
        resp = call(path, **extra, **self.w.api("admin"))
        if getattr(resp, "streaming", False):
            b"".join(resp.streaming_content)
        return resp

    def cli(self, *args: str, code: int = 0) -> None:
        self.capsys.readouterr()
        got = registry.run(list(args))
        assert got == code, (args, got, self.capsys.readouterr().err[-300:])

    def run_jobs(self) -> list[Job]:
        """Run the jobs the operation queued (the queue hands them over only after a commit,
        which a test transaction never does)."""
        queued = list(Job.objects.filter(state=Job.State.QUEUED))
        for job in queued:
            execute(job.id)
        return [Job.objects.get(id=job.id) for job in queued]

    def kept(self, folder: str) -> Quarantine:
        """A quarantined copy of an archived message's bytes (a retry files it in ``folder``)."""
        return quarantine.keep(runtime.vault().store(self.cid), self.w.customer, source="import",
                               source_ref=f"{folder}.eml", reason="test", data=self.raw, mailbox=ALICE, folder=folder)

    def other_customer(self) -> tuple[Any, dict[str, str]]:
        """A second customer of a partner admin, for the wipe (the archive under test must stay intact)."""
        partner = self.w.customer.partner
        self._wiped += 1
        victim = factories.customer(partner, f"Weg {self._wiped}")
        padmin = factories.user(f"pa{self._wiped}@partner.example", "partner_admin", partner=partner, totp=True)
        return victim, {"user": padmin, "auth": {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(padmin, 't')[1]}"}}


def _ok(resp: Any, *codes: int) -> None:
    assert resp.status_code in codes, (resp.status_code, getattr(resp, "content", b"")[:300])


def _api_upload(b: Bench) -> None:
    resp = b.api("POST", f"/api/v1/customers/{b.cid}/uploads", {"filename": "again.eml", "size": len(b.raw),
                                                               "mailbox": ALICE})
    _ok(resp, 201)
    upload = resp.json()["id"]
    _ok(b.api("PUT", f"/api/v1/uploads/{upload}?offset=0", data=b.raw, content_type="application/octet-stream"), 200)
    _ok(b.api("POST", f"/api/v1/uploads/{upload}/complete"), 202)
    assert [j.state for j in b.run_jobs()] == [Job.State.SUCCEEDED]


def _api_wipe(b: Bench) -> None:
    victim, who = b.other_customer()
    resp = Client().post(f"/api/v1/customers/{victim.id}/delete", json.dumps({"confirm": victim.name}),
                         content_type="application/json", **who["auth"])
    _ok(resp, 202)
    assert [j.state for j in b.run_jobs()] == [Job.State.SUCCEEDED]
    assert not Customer.objects.filter(id=victim.id).exists()


def _web_wipe(b: Bench) -> None:
    victim, who = b.other_customer()
    resp = sign_in(Client(), who["user"]).post(f"/customers/{victim.id}/delete/", {"confirm": victim.name})
    _ok(resp, 302)
    assert resp["Location"].startswith("/jobs/jb_")
    assert [j.state for j in b.run_jobs()] == [Job.State.SUCCEEDED]
    assert not Customer.objects.filter(id=victim.id).exists()


def _source_run_fails(b: Bench) -> None:
    """The queued run reaches the (closed) server and fails; nothing is archived or changed."""
    assert [(j.kind, j.state) for j in b.run_jobs()] in (
        [("source.run", Job.State.FAILED)], [("source.run", Job.State.RETRYING)])


def _restore_ran(b: Bench) -> None:
    """The queued restore read the messages and reached the (closed) IMAP server: each item failed there."""
    jobs = b.run_jobs()
    assert [(j.kind, j.state) for j in jobs] == [("archive.restore", Job.State.SUCCEEDED)]
    assert jobs[0].result["restored"] == 0 and jobs[0].result["failed"]


def _cli_import(b: Bench) -> None:
    path = b.tmp / "again.eml"
    path.write_bytes(b.raw)
    b.cli("import", "--customer", b.cid, "--mailbox", ALICE, str(path), "--json")


def _cli_wipe(b: Bench) -> None:
    victim, _who = b.other_customer()
    b.cli("customer", "delete", victim.id, "--yes", "--json")
    assert not Customer.objects.filter(id=victim.id).exists()


EXERCISES: dict[tuple[str, str], Callable[[Bench], None]] = {
    ("api", "POST /api/v1/messages/{message_id}/tax-relevant"): lambda b: [
        _ok(b.api("POST", f"/api/v1/messages/{b.w.by_i[i].id}/tax-relevant", {"tax_relevant": on}), 200)
        for i, on in ((0, False), (1, True), (0, True))],
    ("api", "POST /api/v1/customers/{customer_id}/archive/export"): lambda b: [
        _ok(b.api("POST", f"/api/v1/customers/{b.cid}/archive/export", {"query": "", "format": fmt}), 200)
        for fmt in ("eml-zip", "mbox")],
    ("api", "POST /api/v1/customers/{customer_id}/exports/z3"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/exports/z3", {"query": ""}), 200, 201, 202, 422),
    ("api", "POST /api/v1/customers/{customer_id}/exports/evidence"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/exports/evidence", {"query": ""}), 200),
    ("api", "POST /api/v1/customers/{customer_id}/verify"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/verify"), 200),
    ("web", "archive/export/evidence/"): lambda b: _ok(
        b.web.post("/archive/export/evidence/", {"customer": b.cid, "q": ""}), 200),
    ("web", "customers/<str:customer_id>/integrity/verify/"): lambda b: _ok(
        b.web.post(f"/customers/{b.cid}/integrity/verify/"), 302),
    ("cli", "vault renew"): lambda b: b.cli("vault", "renew", "--customer", b.cid, "--before", "100000", "--json"),
    ("cli", "evidence export"): lambda b: b.cli("evidence", "export", "--customer", b.cid, "-o",
                                                str(b.tmp / "bundle.zip"), "--json"),
    ("api", "POST /api/v1/customers/{customer_id}/quarantine/{item_id}/retry"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/quarantine/{b.kept('API retry').id}/retry", {"mailbox": ""}), 200),
    ("api", "POST /api/v1/customers/{customer_id}/uploads"): _api_upload,
    ("api", "PUT /api/v1/uploads/{upload_id}"): _api_upload,
    ("api", "POST /api/v1/uploads/{upload_id}/complete"): _api_upload,
    ("api", "POST /api/v1/sources/{source_id}/run"): lambda b: (
        _ok(b.api("POST", f"/api/v1/sources/{b.source.id}/run"), 202), _source_run_fails(b)),
    ("api", "POST /api/v1/customers/{customer_id}/delete"): _api_wipe,
    ("api", "POST /api/v1/customers/{customer_id}/archive/restore"): lambda b: (_ok(b.api(
        "POST", f"/api/v1/customers/{b.cid}/archive/restore", {"query": "", "mailbox": ALICE,
                                                                "to_folder": "Restored"}), 202), _restore_ran(b)),
    ("web", "archive/restore/start/"): lambda b: (_ok(b.web.post("/archive/restore/start/", {
        "customer": b.cid, "ids": [b.w.by_i[0].id], "query": "", "to_mailbox": ALICE, "to_folder": ""}), 302),
        _restore_ran(b)),
    ("cli", "restore"): lambda b: b.cli("restore", "--customer", b.cid, "--id", b.w.by_i[1].id, "--to-mailbox", ALICE,
                                        "--json"),
    ("web", "customers/<str:customer_id>/delete/"): _web_wipe,
    ("web", "archive/export/"): lambda b: _ok(b.web.post("/archive/export/", {
        "customer": b.cid, "q": "", "scope": "all", "format": "mbox"}), 200),
    ("web", "archive/export/z3/"): lambda b: _ok(b.web.post("/archive/export/z3/", {"customer": b.cid, "q": ""}),
                                                 200, 302, 400),
    ("web", "archive/messages/<str:message_id>/tax-relevant/"): lambda b: [
        _ok(b.web.post(f"/archive/messages/{b.w.by_i[i].id}/tax-relevant/", {"tax_relevant": on}), 302)
        for i, on in ((2, "0"), (5, "1"))],
    ("web", "customers/<str:customer_id>/sources/<str:source_id>/run/"): lambda b: (
        _ok(b.web.post(f"/customers/{b.cid}/sources/{b.source.id}/run/"), 302), _source_run_fails(b)),
    ("web", "customers/<str:customer_id>/quarantine/<str:item_id>/retry/"): lambda b: _ok(
        b.web.post(f"/customers/{b.cid}/quarantine/{b.kept('Web retry').id}/retry/"), 302),
    ("cli", "import"): _cli_import,
    ("cli", "search"): lambda b: b.cli("search", "--customer", b.cid, "Rechnung", "--json"),
    ("cli", "message show"): lambda b: b.cli("message", "show", b.w.by_i[3].id, "--json"),
    ("cli", "message raw"): lambda b: b.cli("message", "raw", b.w.by_i[3].id),
    ("cli", "message pdf"): lambda b: b.cli("message", "pdf", b.w.by_i[3].id, "-o", str(b.tmp / "m.pdf"), "--json"),
    ("cli", "message flag-tax"): lambda b: [b.cli("message", "flag-tax", b.w.by_i[4].id, *off, "--json")
                                            for off in (("--off",), ())],
    ("api", "POST /api/v1/customers/{customer_id}/archive/folders/tax-relevant"): lambda b: [
        _ok(b.api("POST", f"/api/v1/customers/{b.cid}/archive/folders/tax-relevant",
                  {"mailbox": ALICE, "folder": "INBOX", "tax_relevant": on}), 200) for on in (True, False)],
    ("web", "archive/customers/<str:customer_id>/folders/tax-relevant/"): lambda b: [
        _ok(b.web.post(f"/archive/customers/{b.cid}/folders/tax-relevant/",
                       {"mailbox": ALICE, "folder": "INBOX", "tax_relevant": on}), 302) for on in ("1", "0")],
    ("cli", "archive flag-folder"): lambda b: [
        b.cli("archive", "flag-folder", "--customer", b.cid, "--mailbox", ALICE, "--folder", "INBOX", *off, "--json")
        for off in ((), ("--off",))],
    ("cli", "export"): lambda b: b.cli("export", "--customer", b.cid, "-o", str(b.tmp / "all.zip"), "--json"),
    ("cli", "source run"): lambda b: b.cli("source", "run", b.source.id, "--json", code=1),  # server refuses
    # cleanup: the archive's messages came from no source of this kind, so none is a candidate (the real
    # deletions at a Dovecot, with the archive checked unchanged, are in tests/integration/mailbox_cleanup/)
    ("api", "POST /api/v1/sources/{source_id}/cleanup"): lambda b: _ok(
        b.api("POST", f"/api/v1/sources/{b.source.id}/cleanup", {"older_than_days": 0}), 200),
    ("web", "customers/<str:customer_id>/sources/<str:source_id>/cleanup/"): lambda b: _ok(
        b.web.post(f"/customers/{b.cid}/sources/{b.source.id}/cleanup/", {"older_than_days": "0"}), 200),
    ("cli", "source cleanup"): lambda b: b.cli("source", "cleanup", b.source.id, "--older-than-days", "0", "--json"),
    ("cli", "quarantine retry"): lambda b: b.cli("quarantine", "retry", b.kept("CLI retry").id, "--json"),
    ("cli", "vault verify"): lambda b: b.cli("vault", "verify", "--customer", b.cid, "--json"),
    ("cli", "vault seal"): lambda b: b.cli("vault", "seal", "--customer", b.cid, "--json"),
    ("cli", "vault gc"): lambda b: b.cli("vault", "gc", "--grace-hours", "0", "--json"),
    ("cli", "vault recover"): lambda b: b.cli("vault", "recover", "--json"),
    ("cli", "vault proof"): lambda b: b.cli("vault", "proof", "--customer", b.cid, "-o", str(b.tmp / "proof"),
                                             b.w.by_i[0].vault_id, "--json"),
    ("cli", "reconcile"): lambda b: b.cli("reconcile", "--customer", b.cid, "--json"),
    ("cli", "customer delete"): _cli_wipe,
    ("api", "POST /api/v1/customers/{customer_id}/gdpr/requests"): lambda b: [
        _ok(b.api("POST", f"/api/v1/customers/{b.cid}/gdpr/requests", {"kind": kind, "subject": subject}), 201)
        for kind, subject in (("access", "lieferant1@supplier.example"), ("erase", "lieferant1@supplier.example"),
                              ("restrict", "lieferant3@supplier.example"))],
    ("web", "customers/<str:customer_id>/gdpr/"): lambda b: _ok(b.web.post(
        f"/customers/{b.cid}/gdpr/", {"kind": "restrict", "subject": "lieferant5@supplier.example"}), 302),
    ("cli", "gdpr access"): lambda b: b.cli("gdpr", "access", "--customer", b.cid, "--subject",
                                            "lieferant2@supplier.example", "-o", str(b.tmp / "access.zip"), "--json"),
    ("cli", "gdpr erase"): lambda b: b.cli("gdpr", "erase", "--customer", b.cid, "--subject",
                                           "lieferant4@supplier.example", "--json"),
    ("cli", "gdpr restrict"): lambda b: b.cli("gdpr", "restrict", "--customer", b.cid, "--subject",
                                              "lieferant6@supplier.example", "--json"),
    ("cli", "gdpr show"): lambda b: b.cli("gdpr", "show", "--customer", b.cid, gdpr_service.run(
        b.w.customer, "access", "lieferant7@supplier.example", actor="test").id, "-o", str(b.tmp / "r.md"), "--json"),
}


def _empty_proposal(b: Bench) -> str:
    """A proposal of no message (the bench's mail is young): approving it carries out nothing."""
    return proposals.propose(b.w.customer, [], as_of=date(2000, 1, 1), created_by="req04", reason="exercise").id


def _retention_rule(b: Bench) -> None:
    if not classes.list_classes(b.w.customer):
        classes.add_suggested(b.w.customer, actor="req04")
        rules.add(b.w.customer, "Keep forever", folder="INBOX", actor="req04")


RETENTION_EXERCISES: dict[tuple[str, str], Callable[[Bench], None]] = {
    ("api", "POST /api/v1/customers/{customer_id}/retention/apply"): lambda b: (
        _retention_rule(b), _ok(b.api("POST", f"/api/v1/customers/{b.cid}/retention/apply"), 200)),
    ("api", "POST /api/v1/customers/{customer_id}/retention/migrate"): lambda b: _ok(b.api(
        "POST", f"/api/v1/customers/{b.cid}/retention/migrate", {"shorten": True, "reason": "req04 exercise"}), 200),
    ("api", "POST /api/v1/customers/{customer_id}/retention/runs"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/retention/runs", {"as_of": "2099-01-01"}), 201),
    ("api", "POST /api/v1/customers/{customer_id}/retention/proposals/{proposal_id}/approve"): lambda b: _ok(
        b.api("POST", f"/api/v1/customers/{b.cid}/retention/proposals/{_empty_proposal(b)}/approve"), 200),
    ("web", "customers/<str:customer_id>/retention/"): lambda b: [
        _ok(b.web.post(f"/customers/{b.cid}/retention/", data), 302)
        for data in ({"action": "apply"}, {"action": "run", "as_of": "2099-01-01"},
                     {"action": "approve", "proposal": _empty_proposal(b)})],
    ("cli", "retention apply"): lambda b: b.cli("retention", "apply", "--customer", b.cid, "--json"),
    ("cli", "retention migrate"): lambda b: b.cli("retention", "migrate", "--customer", b.cid, "--shorten",
                                                  "--reason", "req04 exercise", "--json"),
    ("cli", "retention run"): lambda b: b.cli("retention", "run", "--customer", b.cid, "--as-of", "2099-01-01",
                                              "--json"),
    ("cli", "retention approve"): lambda b: b.cli("retention", "approve", _empty_proposal(b), "--user",
                                                  b.w.admin.email, "--json"),
}
EXERCISES.update(RETENTION_EXERCISES)


def _touching() -> set[tuple[str, str]]:
    return ({("api", f"{meth} {path}") for (meth, path), c in API_WRITES.items() if c in TOUCHING}
            | {("web", route) for route, c in DASHBOARD_POSTS.items() if c in TOUCHING}
            | {("cli", cmd) for cmd, c in CLI_COMMANDS.items() if c in TOUCHING and cmd not in SERVICES})


def test_req04_every_operation_that_can_touch_a_message_is_exercised():
    assert not _touching() - set(EXERCISES), f"no exercise for: {sorted(_touching() - set(EXERCISES))}"


def test_req04_no_operation_alters_an_archived_message(world: World, capsys, tmp_path):  # noqa: F811
    bench = Bench(world, capsys, tmp_path)
    may_add = {("api", f"{meth} {path}") for (meth, path), c in API_WRITES.items() if c == ADDS}
    may_add |= {("web", r) for r, c in DASHBOARD_POSTS.items() if c == ADDS}
    may_add |= {("cli", c) for c, k in CLI_COMMANDS.items() if k == ADDS}
    before = snapshot(bench.cid)
    assert len(before) == 13
    for key in sorted(_touching()):
        EXERCISES[key](bench)
        after = snapshot(bench.cid)
        assert_unchanged(before, after, may_add=key in may_add, what=" ".join(key))
        before = after
    # the operations that add did add references: the retried/uploaded/imported copies were filed
    folders = {ref[1] for _core, _digest, refs in before.values() for ref in refs}
    assert {"API retry", "Web retry", "CLI retry"} <= folders


def test_req04_the_invariant_check_catches_a_changed_message(world: World):  # noqa: F811
    before = snapshot(world.customer.id)
    Message.objects.filter(id=world.by_i[1].id).update(subject="geändert")
    with pytest.raises(AssertionError, match="core metadata"):
        assert_unchanged(before, snapshot(world.customer.id), may_add=False, what="tamper")
