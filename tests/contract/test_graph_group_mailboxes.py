"""Microsoft 365 group mailboxes (threads → posts → MIME) and shared mailboxes told apart by
``mailboxSettings.userPurpose``, against fakecloud's Graph emulator as a subprocess.

The emulator's side too: ``/groups`` with the Unified and Team filters, threads and posts paged by
``@odata.nextLink``, post attachments with ``contentBytes``, ``group_post`` seeding and
``/_fakecloud/items``, ``mailboxSettings``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph import GraphMailConnector
from kustos.sources.graph.backup import build_backup
from kustos.sources.graph.groups import CONVERSATIONS_FOLDER
from kustos.sources.graph.posts_mime import message_id_for
from tests.contract.connector_contract import drain

TENANT = "northwind.onmicrosoft.com"
CLIENT_ID = "77777777-2222-3333-4444-555555555555"
SECRET = "groups~secret"
GROUP = "sales@northwind.onmicrosoft.com"
OTHER = "board@northwind.onmicrosoft.com"
ROLES = ["User.Read.All", "Mail.Read", "Group.Read.All", "MailboxSettings.Read", "Calendars.Read"]
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def post(fakecloud: FakeCloudProcess, topic: str, html: str, meta: dict[str, Any] | None = None,
         group: str = GROUP) -> str:
    return fakecloud.control.seed("ms", TENANT, group, "group_post", topic, html.encode(), meta or {})["id"]


@pytest.fixture
def tenant(fakecloud: FakeCloudProcess) -> dict[str, str]:
    """sales: thread "Q3 numbers" (a post with a PDF attachment, a reply), thread "Offsite" (one post);
    board: one thread; a non-Unified (security) group; a team (a Unified group too)."""
    control = fakecloud.control
    control.call("reset")
    control.ms_app(TENANT, CLIENT_ID, SECRET, ROLES)
    control.seed("ms", TENANT, "alice@northwind.onmicrosoft.com", "mail", "Inbox", generated_message(1, "grp"), {})
    ids = {"first": post(fakecloud, "Q3 numbers", "<p>Figures attached.</p>", {
        "from": "alice@northwind.onmicrosoft.com", "fromName": "Alice", "receivedDateTime": "2026-03-02T09:00:00Z",
        "newParticipants": ["carol@contoso.com"],
        "attachments": [{"name": "q3.pdf", "contentType": "application/pdf",
                         "content_b64": base64.b64encode(PDF).decode()}]})}
    ids["reply"] = post(fakecloud, "", "<p>Thanks, looks good.</p>", {
        "from": "bob@northwind.onmicrosoft.com", "replyTo": ids["first"], "receivedDateTime": "2026-03-02T10:00:00Z"})
    ids["offsite"] = post(fakecloud, "Offsite", "<p>Where do we meet?</p>",
                          {"receivedDateTime": "2026-03-01T08:00:00Z"})
    ids["board"] = post(fakecloud, "Budget", "<p>Board only</p>", {"displayName": "Board"}, group=OTHER)
    post(fakecloud, "Hidden", "<p>security group</p>", {"groupTypes": []}, group="sec@northwind.onmicrosoft.com")
    control.seed("ms", TENANT, "alice@northwind.onmicrosoft.com", "channelmessage", "Engineering/General",
                 b"<p>hello team</p>", {})
    return ids


def connector(fakecloud: FakeCloudProcess, page_size: int = 1) -> GraphMailConnector:
    return GraphMailConnector(TENANT, CLIENT_ID, SECRET, endpoint=fakecloud.base_url,
                              login_endpoint=fakecloud.base_url, page_size=page_size,
                              egress=EgressPolicy.from_values(False, ["127.0.0.1/32"]))


def get(fakecloud: FakeCloudProcess, graph: GraphMailConnector, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{fakecloud.base_url}/v1.0{path}",
                                     headers={"Authorization": f"Bearer {graph._token.token()}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_emulator_groups_threads_posts_attachments(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    graph = connector(fakecloud)
    unified = get(fakecloud, graph, "/groups?$filter=groupTypes/any(c:c%20eq%20'Unified')")["value"]
    assert sorted(g["mail"].lower() for g in unified) == [OTHER, "engineering@northwind.onmicrosoft.com", GROUP]
    assert all(g["groupTypes"] == ["Unified"] and g["mailEnabled"] for g in unified)
    teams = get(fakecloud, graph, "/groups?$filter=resourceProvisioningOptions/Any(x:x%20eq%20'Team')")["value"]
    assert [g["displayName"] for g in teams] == ["Engineering"]
    sales = next(g["id"] for g in unified if g["mail"] == GROUP)
    first_page = get(fakecloud, graph, f"/groups/{sales}/threads?$top=1")
    assert len(first_page["value"]) == 1 and first_page["value"][0]["topic"] == "Q3 numbers"  # latest first
    assert first_page["value"][0]["lastDeliveredDateTime"] == "2026-03-02T10:00:00Z"
    thread = first_page["value"][0]["id"]
    posts = get(fakecloud, graph, f"/groups/{sales}/threads/{thread}/posts?$expand=inReplyTo")["value"]
    assert [p["from"]["emailAddress"]["address"] for p in posts] == ["alice@northwind.onmicrosoft.com",
                                                                      "bob@northwind.onmicrosoft.com"]
    assert posts[1]["inReplyTo"]["id"] == tenant["first"] and "inReplyTo" not in posts[0]
    assert posts[0]["newParticipants"] == [{"emailAddress": {"name": "carol", "address": "carol@contoso.com"}}]
    attachments = get(fakecloud, graph, f"/groups/{sales}/threads/{thread}/posts/{tenant['first']}/attachments")
    assert [(a["@odata.type"], a["name"], base64.b64decode(a["contentBytes"])) for a in attachments["value"]] == [
        ("#microsoft.graph.fileAttachment", "q3.pdf", PDF)]
    items = fakecloud.control.items("ms", TENANT, "group_post", account=GROUP)
    assert sorted(r["sha256"] for r in items) == sorted(sha(h.encode()) for h in (
        "<p>Figures attached.</p>", "<p>Thanks, looks good.</p>", "<p>Where do we meet?</p>"))
    assert all(r["path"].startswith(f"{GROUP}/") for r in items)


def test_emulator_group_permissions(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    fakecloud.control.ms_app(TENANT, CLIENT_ID, SECRET, ["User.Read.All", "Mail.Read"])
    graph = connector(fakecloud)
    request = urllib.request.Request(f"{fakecloud.base_url}/v1.0/users/alice@northwind.onmicrosoft.com/"
                                     f"mailboxSettings", headers={"Authorization": f"Bearer {graph._token.token()}"})
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(request, timeout=10)
    assert denied.value.code == 403
    # Without Group.Read.All the connector offers no group and reads the users' mailboxes as before.
    scopes = list(graph.scopes())
    assert [s.kind for s in scopes] == ["mailbox"]
    assert scopes[0].meta["mailboxTypeSource"] == "accountEnabled"


def test_group_scopes_discovered(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    groups = [s for s in connector(fakecloud).scopes() if s.kind == "group"]
    assert sorted(s.name.lower() for s in groups) == [OTHER, "engineering@northwind.onmicrosoft.com", GROUP]
    assert all(s.id.startswith("group:") and s.meta["mailboxType"] == "group" for s in groups)


def test_posts_become_deterministic_mime(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    graph = connector(fakecloud)  # page size 1: every thread list and post list is paged
    scope = next(s for s in graph.scopes() if s.name == GROUP)
    first, second = drain(graph, scope, None), drain(connector(fakecloud), scope, None)
    assert len(first.items) == 3 and first.batches >= 2
    assert [sha(i.data) for i in first.items] == [sha(i.data) for i in second.items]
    assert {i.folder for i in first.items} == {CONVERSATIONS_FOLDER}
    by_id = {i.source_id: parsed(i.data) for i in first.items}
    original, reply = by_id[tenant["first"]], by_id[tenant["reply"]]
    assert original["From"] == "Alice <alice@northwind.onmicrosoft.com>"
    assert original["To"].addresses[0].addr_spec == GROUP and original["Subject"] == "Q3 numbers"
    assert original["Cc"].addresses[0].addr_spec == "carol@contoso.com"
    assert original["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert original["Message-ID"] == message_id_for(tenant["first"], "northwind.onmicrosoft.com")
    assert reply["In-Reply-To"] == original["Message-ID"] and reply["References"] == original["Message-ID"]
    assert reply["Subject"] == "Q3 numbers"
    body = original.get_body(("html",))
    assert body is not None and body.get_content().strip() == "<p>Figures attached.</p>"
    parts = list(original.iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parts] == [
        ("q3.pdf", "application/pdf", PDF)]


def test_later_round_reads_only_new_posts(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    graph = connector(fakecloud)
    scope = next(s for s in graph.scopes() if s.name == GROUP)
    first = drain(graph, scope, None)
    assert drain(graph, scope, first.cursor).items == []
    new = post(fakecloud, "", "<p>One more figure.</p>", {"replyTo": tenant["reply"],
                                                          "from": "carol@contoso.com"})
    later = drain(graph, scope, first.cursor)
    assert [i.source_id for i in later.items] == [new]
    assert parsed(later.items[0].data)["In-Reply-To"] == message_id_for(tenant["reply"], "northwind.onmicrosoft.com")
    fresh_thread = post(fakecloud, "New topic", "<p>Hello</p>")
    assert [i.source_id for i in drain(graph, scope, later.cursor).items] == [fresh_thread]


def test_backup_mail_reads_group_posts(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    backup = build_backup({"tenant_id": TENANT, "client_id": CLIENT_ID, "endpoint": fakecloud.base_url,
                           "login_endpoint": fakecloud.base_url}, SECRET,
                          EgressPolicy.from_values(False, ["127.0.0.1/32"]), ["mail", "calendar"])
    scopes = list(backup.scopes())
    scope = next(s for s in scopes if s.name == GROUP)
    assert scope.id.startswith("mail:group:")
    # A group mailbox has conversations, not a user's calendar: the calendar service offers users only.
    assert [s.name for s in scopes if s.meta["service"] == "calendar"] == ["alice@northwind.onmicrosoft.com"]
    backup.check()
    result = drain(backup, scope, None)
    assert sorted((i.kind, i.folder) for i in result.items) == [("mail", CONVERSATIONS_FOLDER)] * 3
    archived = drain(connector(fakecloud), next(s for s in connector(fakecloud).scopes() if s.name == GROUP), None)
    assert sorted(sha(i.data) for i in result.items) == sorted(sha(i.data) for i in archived.items)


def test_shared_mailbox_told_apart_from_disabled_user(fakecloud: FakeCloudProcess, tenant: dict[str, str]) -> None:
    control = fakecloud.control
    control.seed("ms", TENANT, "info@northwind.onmicrosoft.com", "mail", "Inbox", generated_message(2, "grp"),
                 {"mailboxType": "shared"})
    control.seed("ms", TENANT, "room1@northwind.onmicrosoft.com", "mail", "Inbox", generated_message(3, "grp"),
                 {"mailboxType": "room"})
    control.seed("ms", TENANT, "leaver@northwind.onmicrosoft.com", "mail", "Inbox", generated_message(4, "grp"),
                 {"accountEnabled": False})
    graph = connector(fakecloud)
    users = get(fakecloud, graph, "/users?$select=id,mail,accountEnabled")["value"]
    assert {u["mail"]: u["accountEnabled"] for u in users}["leaver@northwind.onmicrosoft.com"] is False
    kinds = {s.name: (s.meta["mailboxType"], s.meta["mailboxTypeSource"]) for s in graph.scopes()
             if s.kind == "mailbox"}
    assert kinds == {"alice@northwind.onmicrosoft.com": ("user", "userPurpose"),
                     "info@northwind.onmicrosoft.com": ("shared", "userPurpose"),
                     "room1@northwind.onmicrosoft.com": ("room", "userPurpose"),
                     "leaver@northwind.onmicrosoft.com": ("user", "userPurpose")}
    leaver = next(s for s in graph.scopes() if s.name == "leaver@northwind.onmicrosoft.com")
    assert [sha(i.data) for i in drain(graph, leaver, None).items] == [sha(generated_message(4, "grp"))]
