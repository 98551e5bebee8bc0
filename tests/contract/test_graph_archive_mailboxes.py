"""Microsoft 365 mail complete: primary mailbox, In-Place Archive (with an auxiliary archive behind a
308), Recoverable Items and shared mailboxes, against fakecloud's Graph emulator as a subprocess.

Also the emulator's side of it, as the beta documentation describes it: settings/exchange with
``MBX:`` ids, the 308 with an empty body and a Location on the Graph host, Recoverable Items reached
by their well-known names only, and ``/_fakecloud/items`` reporting each message's ``location``.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from urllib.error import HTTPError

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.base import ConnectorError, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph import GraphMailConnector
from kustos.sources.graph.backup import build_backup
from kustos.sources.kinds import graph as graph_kind
from tests.contract.connector_contract import drain

TENANT = "fabrikam.onmicrosoft.com"
CLIENT_ID = "99999999-2222-3333-4444-555555555555"
SECRET = "archive~secret"
UPN = "megan@fabrikam.onmicrosoft.com"
SHARED = "info@fabrikam.onmicrosoft.com"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def tenant(fakecloud: FakeCloudProcess) -> dict[str, bytes]:
    """megan: 2 in the Inbox, 2 in the archive's Inbox/2019, 2 in an expanded (auxiliary) archive folder
    "2015", 1 in Recoverable Items Deletions, 1 in Purges; a shared mailbox with 1 message."""
    control = fakecloud.control
    control.call("reset")
    control.ms_app(TENANT, CLIENT_ID, SECRET, ["User.Read.All", "Mail.Read"])
    placed: dict[str, bytes] = {}

    def seed(index: int, path: str, meta: dict[str, object], account: str = UPN) -> None:
        mime = generated_message(index, "arch")
        row = control.seed("ms", TENANT, account, "mail", path, mime, meta)
        placed[row["id"]] = mime

    seed(1, "Inbox", {})
    seed(2, "Inbox", {"location": "primary"})
    seed(3, "Inbox/2019", {"location": "archive"})
    seed(4, "Inbox/2019", {"location": "archive"})
    seed(5, "2015", {"location": "archive", "auxiliary": True})
    seed(6, "2015", {"location": "archive", "auxiliary": True})
    seed(7, "Deletions", {"location": "recoverable"})
    seed(8, "Purges", {"location": "recoverable"})
    seed(9, "Inbox", {"mailboxType": "shared"}, SHARED)
    return placed


def connector(fakecloud: FakeCloudProcess, **options: bool) -> GraphMailConnector:
    return GraphMailConnector(TENANT, CLIENT_ID, SECRET, endpoint=fakecloud.base_url,
                              login_endpoint=fakecloud.base_url, page_size=1,
                              egress=EgressPolicy.from_values(False, ["127.0.0.1/32"]), **options)


def megan(graph: GraphMailConnector) -> Scope:
    return next(s for s in graph.scopes() if s.name == UPN)


def test_emulator_items_report_location(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    rows = fakecloud.control.items("ms", TENANT, "mail", account=UPN)
    by_location: dict[str, list[str]] = {}
    for row in rows:
        by_location.setdefault(row["location"], []).append(row["path"].rsplit("/", 1)[0])
    assert sorted(by_location["primary"]) == ["Inbox", "Inbox"]
    assert sorted(by_location["archive"]) == ["2015", "2015", "Inbox/2019", "Inbox/2019"]
    assert sorted(by_location["recoverable"]) == ["Recoverable Items/Deletions", "Recoverable Items/Purges"]
    assert sorted(r["sha256"] for r in rows) == sorted(sha(m) for i, m in tenant.items() if b"message 9" not in m)


def test_emulator_settings_exchange_and_308(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    graph = connector(fakecloud)
    scope = megan(graph)
    token = graph._token.token()

    def get(url: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    status, _headers, body = get(f"{fakecloud.base_url}/beta/users/{scope.id}/settings/exchange")
    settings = json.loads(body)
    assert status == 200
    assert settings["primaryMailboxId"].startswith("MBX:") and settings["inPlaceArchiveMailboxId"].startswith("MBX:")
    archive = settings["inPlaceArchiveMailboxId"]
    status, _headers, body = get(f"{fakecloud.base_url}/beta/users/{archive}/mailFolders?includeHiddenFolders=true")
    folders = {row["displayName"]: row["id"] for row in json.loads(body)["value"]}
    assert status == 200 and {"Inbox", "2015"} <= set(folders)
    assert "Recoverable Items" not in folders and "Deletions" not in folders
    status, headers, body = get(f"{fakecloud.base_url}/beta/users/{archive}/mailFolders/{folders['2015']}"
                                f"/messages/delta")
    assert status == 308 and body == b""
    assert headers["Location"].startswith(f"{fakecloud.base_url}/beta/users/MBX:")
    assert archive not in headers["Location"] and headers["Location"].endswith(f"/mailFolders/{folders['2015']}"
                                                                              f"/messages/delta")
    status, _headers, body = get(f"{fakecloud.base_url}/v1.0/users/{scope.id}/mailFolders/recoverableitemspurges")
    assert status == 200 and json.loads(body)["displayName"] == "Purges"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_archived_completely_with_folders(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    graph = connector(fakecloud)
    scope = megan(graph)
    result = drain(graph, scope, None)
    got = {(item.folder, sha(item.data or b"")) for item in result.items}
    expected_folders = {1: "Inbox", 2: "Inbox", 3: "Online Archive/Inbox/2019", 4: "Online Archive/Inbox/2019",
                        5: "Online Archive/2015", 6: "Online Archive/2015",
                        7: "Recoverable Items/Deletions", 8: "Recoverable Items/Purges"}
    assert got == {(expected_folders[i], sha(generated_message(i, "arch"))) for i in expected_folders}
    assert len(result.items) == 8
    # The next round is incremental across all three stores: nothing again, one new archive message.
    fakecloud.control.seed("ms", TENANT, UPN, "mail", "2015", generated_message(10, "arch"),
                           {"location": "archive", "auxiliary": True})
    again = drain(graph, scope, result.cursor)
    assert [(i.folder, sha(i.data or b"")) for i in again.items] == [
        ("Online Archive/2015", sha(generated_message(10, "arch")))]
    assert any(key.startswith("archive:") for key in (again.cursor or {}))
    # A message removed from the auxiliary archive is reported as deleted in that folder.
    row = next(r for r in fakecloud.control.items("ms", TENANT, "mail", UPN)
               if r["sha256"] == sha(generated_message(5, "arch")))
    fakecloud.control.remove("ms", TENANT, UPN, "mail", row["path"])
    third = drain(graph, scope, again.cursor)
    assert third.items == [] and [(d.folder, d.source_id) for d in third.deletions] == [
        ("Online Archive/2015", row["path"].rsplit("/", 1)[1])]


def test_recoverable_items_setting_off(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    graph = connector(fakecloud, include_recoverable=False)
    result = drain(graph, megan(graph), None)
    folders = sorted(item.folder for item in result.items)
    assert len(folders) == 6
    assert not [f for f in folders if "Recoverable Items" in f]


def test_redirect_to_foreign_host_refused_without_token(fakecloud: FakeCloudProcess,
                                                        tenant: dict[str, bytes]) -> None:
    seen: list[str | None] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        foreign = f"http://127.0.0.1:{server.server_address[1]}"
        fakecloud.control.seed("ms", TENANT, UPN, "mail", "1999", generated_message(11, "arch"),
                               {"location": "archive", "auxiliary": True, "redirect_base": foreign})
        graph = connector(fakecloud)
        with pytest.raises(ConnectorError, match=f"redirected to 127.0.0.1:{server.server_address[1]}"):
            drain(graph, megan(graph), None)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == []


def test_shared_mailbox_discovered_and_archived(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    graph = connector(fakecloud)
    scopes = {s.name: s for s in graph.scopes()}
    assert scopes[SHARED].meta["mailboxType"] == "shared" and scopes[UPN].meta["mailboxType"] == "user"
    result = drain(graph, scopes[SHARED], None)
    assert [(i.folder, sha(i.data or b"")) for i in result.items] == [("Inbox", sha(generated_message(9, "arch")))]


def test_backup_mail_reads_archive(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    backup = build_backup({"tenant_id": TENANT, "client_id": CLIENT_ID, "endpoint": fakecloud.base_url,
                           "login_endpoint": fakecloud.base_url}, SECRET,
                          EgressPolicy.from_values(False, ["127.0.0.1/32"]), ["mail"])
    scope = next(s for s in backup.scopes() if s.name == UPN or s.meta.get("userPrincipalName") == UPN)
    result = drain(backup, scope, None)
    folders = sorted(item.folder for item in result.items if item.kind == "mail")
    assert folders == ["Inbox", "Inbox", "Online Archive/2015", "Online Archive/2015",
                       "Online Archive/Inbox/2019", "Online Archive/Inbox/2019"]


def test_backup_mail_under_the_sources_archive_folder(fakecloud: FakeCloudProcess, tenant: dict[str, bytes]) -> None:
    """The Microsoft 365 kind hands the source's ``archive_folder`` to the mail backup."""
    backup = graph_kind.build_backup({"tenant_id": TENANT, "client_id": CLIENT_ID, "endpoint": fakecloud.base_url,
                                      "login_endpoint": fakecloud.base_url, "archive_folder": "Online-Archiv"},
                                     SECRET, EgressPolicy.from_values(False, ["127.0.0.1/32"]), ["mail"])
    scope = next(s for s in backup.scopes() if s.name == UPN or s.meta.get("userPrincipalName") == UPN)
    result = drain(backup, scope, None)
    items = sorted((item.folder, sha(item.data or b"")) for item in result.items if item.kind == "mail")
    assert items == sorted([("Inbox", sha(generated_message(1, "arch"))), ("Inbox", sha(generated_message(2, "arch"))),
                            ("Online-Archiv/Inbox/2019", sha(generated_message(3, "arch"))),
                            ("Online-Archiv/Inbox/2019", sha(generated_message(4, "arch"))),
                            ("Online-Archiv/2015", sha(generated_message(5, "arch"))),
                            ("Online-Archiv/2015", sha(generated_message(6, "arch")))])
