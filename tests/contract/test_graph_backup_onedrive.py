"""OneDrive backup through Graph against fakecloud as a real process.

The shared contract suite (files are compared by the bytes their ``stream()`` yields), plus:
folder paths and metadata, content sha256 equal to fakecloud's ``/_fakecloud/items``, an expired
download URL fetched again, 410 resync, the tenant-wide throttle shared by two sessions, at most
4 concurrent requests per drive owner, and flat memory while streaming a 200 MB file.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx
import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Connector, Cursor, Item, Scope
from kustos.sources.graph.backup import GraphBackupConnector, GraphSession, OneDriveService, build_backup
from kustos.sources.graph.backup.throttle import for_tenant
from kustos.sources.kinds import registry
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.graph_backup_view import EGRESS, ContractView, GraphSource

TENANT = "backup.onmicrosoft.com"
USER = "nina@backup.onmicrosoft.com"
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def read(item: Item) -> bytes:
    assert item.stream is not None
    return b"".join(item.stream())


class FilesOnly(ContractView):
    """Contract view of the backup connector: files only, their content read through ``stream()``."""

    name: ClassVar[str] = "graph-backup-files"
    kinds = frozenset({"file"})

    def key(self, item: Item) -> bytes:
        return read(item)


class OneDriveSource(GraphSource):
    tenant = TENANT

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["onedrive"])
        self.control.seed("ms", TENANT, USER, "file", "/.keep", b"")  # creates the user and the drive
        self.control.remove("ms", TENANT, USER, "file", "/.keep")
        self.backup = self.build()
        self.user_id = next(s for s in self.backup.scopes() if s.name == USER).meta["account"]

    def connector(self) -> Connector:
        return FilesOnly(self.backup)

    def scope(self) -> Scope:
        return Scope(id=f"onedrive:{self.user_id}", kind="drive", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = f"file {next(_counter)} ".encode() * (n + 1)
            folder = ("/Docs", "/Docs/Sub", "")[n % 3]
            self.control.seed("ms", TENANT, USER, "file", f"{folder}/f{next(_counter)}.txt", data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("ms", TENANT, USER, "file", "/" + item.meta["path"])

    def invalidate_cursor(self) -> None:
        self.control.ms_invalidate_delta(TENANT, "file", USER)


class TestOneDriveBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> OneDriveSource:
        return OneDriveSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> OneDriveSource:
    return OneDriveSource(fakecloud)


def everything(source: OneDriveSource, cursor: Cursor | None = None) -> tuple[list[Item], Cursor | None, bool]:
    result = drain(source.backup, source.scope(), cursor)
    return result.items + result.deletions, result.cursor, result.reset


def test_kind_declares_backup_services_and_builds_the_connector(source: OneDriveSource) -> None:
    kind = registry.get("graph")
    assert kind.backup_services == ("mail", "calendar", "contacts", "tasks", "onedrive", "sharepoint", "teams")
    assert kind.build_backup is not None
    connector = kind.build_backup(source.settings, source.settings["client_secret"], EGRESS, kind.backup_services)
    assert isinstance(connector, GraphBackupConnector)
    connector.check()
    scopes = {s.id: s.meta["service"] for s in connector.scopes() if s.kind in ("mailbox", "drive")}
    per_user = [name for name in kind.backup_services if name not in ("sharepoint", "teams")]
    assert scopes == {f"{name}:{source.user_id}": name for name in per_user}
    assert [s.id for s in connector.scopes() if s.kind == "site"] == [
        f"sharepoint:{s.id}" for s in connector.services["sharepoint"].scopes()] != []
    assert [s.id for s in connector.scopes() if s.kind == "chats"] == [f"teams:chats/{source.user_id}"]
    with pytest.raises(ValueError, match="unknown Microsoft 365 backup service.*: dropbox"):
        build_backup(source.settings, "x", EGRESS, ["mail", "dropbox"])


def test_folders_paths_and_metadata(source: OneDriveSource) -> None:
    source.control.seed("ms", TENANT, USER, "file", "/Reports/2024/q1.xlsx", b"quarter one")
    items, cursor, _ = everything(source)
    by_path = {(i.kind, i.meta["path"]): i for i in items}
    assert set(by_path) == {("folder", "Reports"), ("folder", "Reports/2024"), ("file", "Reports/2024/q1.xlsx")}
    file = by_path[("file", "Reports/2024/q1.xlsx")]
    assert file.folder == "Reports/2024" and by_path[("folder", "Reports/2024")].folder == "Reports"
    assert file.meta["size"] == len(b"quarter one") and file.meta["name"] == "q1.xlsx"
    assert file.meta["eTag"] and file.meta["cTag"] and file.meta["quickXorHash"]
    assert file.meta["createdBy"]["user"] and file.meta["lastModifiedDateTime"]
    assert read(file) == b"quarter one"
    # An incremental round names the folder of a new file though its parent is not in the delta.
    source.control.seed("ms", TENANT, USER, "file", "/Reports/2024/q2.xlsx", b"quarter two")
    later, _, _ = everything(source, cursor)
    assert [(i.kind, i.folder, i.meta["path"]) for i in later if i.kind == "file"] == [
        ("file", "Reports/2024", "Reports/2024/q2.xlsx")]


def test_content_sha256_equals_fakecloud_items(source: OneDriveSource) -> None:
    for n in range(4):
        source.control.seed("ms", TENANT, USER, "file", f"/Mixed/{n}.bin", bytes(range(256)) * (n * 700 + 1))
    source.control.seed("ms", TENANT, USER, "file", "/Mixed/big.bin", b"", {"size": 3 * 1024 * 1024 + 17, "seed": 5})
    items, _, _ = everything(source)
    ours = {"/" + i.meta["path"]: hashlib.sha256(read(i)).hexdigest() for i in items if i.kind == "file"}
    theirs = {row["path"]: row["sha256"] for row in source.control.items("ms", TENANT, "file", USER)}
    assert ours == theirs and len(ours) == 5


def test_expired_download_url_is_fetched_again(source: OneDriveSource) -> None:
    source.control.ms_download_url_lifetime(0.5)
    try:
        source.control.seed("ms", TENANT, USER, "file", "/late.bin", b"x" * 5000)
        items, _, _ = everything(source)
        file = next(i for i in items if i.kind == "file")
        time.sleep(1.0)  # the URL from the delta page has expired now
        assert read(file) == b"x" * 5000
    finally:
        source.control.ms_download_url_lifetime(3600)
    paths = [(r["method"], r["path"]) for r in source.control.stats()["requests"]]
    downloads = [p for m, p in paths if p.startswith("/_layouts/15/download.aspx")]
    refetches = [p for m, p in paths if p.endswith(f"/items/{file.source_id}")]
    assert len(downloads) == 2 and len(refetches) == 1  # the 401, then the fresh URL


def test_resync_after_410_is_reset_with_every_file(source: OneDriveSource) -> None:
    created = source.create(4)
    _items, cursor, _ = everything(source)
    source.control.ms_invalidate_delta(TENANT, "file", USER, code="resyncRequired")
    items, after, reset = everything(source, cursor)
    assert reset
    assert sorted(hashlib.sha256(read(i)).digest() for i in items if i.kind == "file") == sorted(
        hashlib.sha256(c).digest() for c in created)
    quiet, _, reset_again = everything(source, after)
    assert quiet == [] and not reset_again


def test_a_retry_after_holds_back_every_session_of_the_tenant(source: OneDriveSource) -> None:
    source.create(2)
    first, second = source.build(), source.build()
    source.control.call("faults/clear")
    source.control.throttle(f"/v1.0/users/{source.user_id}/drive", count=1, retry_after=1.5)
    worker = threading.Thread(target=lambda: drain(first, source.scope(), None))
    worker.start()
    deadline = time.monotonic() + 5
    # until the first session has received the 429 and holds the tenant back (the emulator counts the
    # throttle when it answers; the client registers the pause a moment later)
    while not first.session.http.waits and time.monotonic() < deadline:
        time.sleep(0.02)
    second.session.http.get_json(f"{second.session.base}/users")  # another worker of the same tenant
    worker.join()
    stats = source.control.stats()
    event = stats["throttled"][0]
    later = [r["at"] for r in stats["requests"] if r["at"] > event["at"] and r["path"].startswith("/v1.0/")]
    assert later and min(later) - event["at"] >= 1.5 - 0.02
    assert second.session.http.waits and second.session.http.waits[0] > 0.5


def test_at_most_four_concurrent_requests_per_drive_owner(source: OneDriveSource) -> None:
    created = source.create(10)
    items, _, _ = everything(source)
    files = [i for i in items if i.kind == "file"]
    latency = 0.3
    source.control.call("faults/latency", prefix="/_layouts/15/download.aspx", seconds=latency)
    try:
        with ThreadPoolExecutor(8) as pool:
            contents = list(pool.map(read, files))
        requests = source.control.stats()["requests"]
    finally:
        source.control.call("faults/clear")
    assert sorted(contents) == sorted(created)
    arrivals = sorted(r["at"] for r in requests if r["path"].startswith("/_layouts/15/download.aspx"))
    assert len(arrivals) == 10
    # A fifth download of the same owner starts only after one of four running ones has finished,
    assert all(arrivals[n + 4] - arrivals[n] >= latency - 0.05 for n in range(len(arrivals) - 4))
    # yet four do run together.
    assert arrivals[3] - arrivals[0] < latency


def _rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def test_large_file_streams_with_flat_memory(source: OneDriveSource) -> None:
    size = 200 * 1024 * 1024
    source.control.seed("ms", TENANT, USER, "file", "/huge.bin", b"", {"size": size, "seed": 11})
    items, _, _ = everything(source)
    file = next(i for i in items if i.kind == "file")
    assert file.stream is not None
    digest = hashlib.sha256()
    before = peak = _rss()
    total = 0
    for chunk in file.stream():
        digest.update(chunk)
        total += len(chunk)
        peak = max(peak, _rss())
    assert total == size
    assert peak - before < 40 * 1024 * 1024  # a fraction of the 200 MB file
    expected: dict[str, Any] = next(r for r in source.control.items("ms", TENANT, "file", USER)
                                    if r["path"] == "/huge.bin")
    assert digest.hexdigest() == expected["sha256"]


def test_renamed_folder_moves_the_files_below_it(source: OneDriveSource) -> None:
    source.control.seed("ms", TENANT, USER, "file", "/Old/a.txt", b"alpha")
    source.control.seed("ms", TENANT, USER, "file", "/Old/deeper/b.txt", b"beta")
    items, cursor, _ = everything(source)
    folder = next(i for i in items if i.kind == "folder" and i.meta["path"] == "Old")
    session = source.backup.session
    drive_id = session.http.get_json(f"{session.base}/users/{source.user_id}/drive")["id"]
    renamed = httpx.patch(f"{session.base}/drives/{drive_id}/items/{folder.source_id}",
                          json={"name": "New"}, headers={"Authorization": f"Bearer {session._token.token()}"})
    assert renamed.status_code == 200, renamed.text
    later, _, _ = everything(source, cursor)
    assert sorted((i.kind, i.meta["path"]) for i in later) == [
        ("file", "New/a.txt"), ("file", "New/deeper/b.txt"), ("folder", "New"), ("folder", "New/deeper")]
    assert {read(i) for i in later if i.kind == "file"} == {b"alpha", b"beta"}


def test_permissions_are_kept_when_asked_for(source: OneDriveSource) -> None:
    source.control.seed("ms", TENANT, USER, "file", "/shared.txt", b"s",
                        {"permissions": [{"id": "link1", "roles": ["read"],
                                          "link": {"type": "view", "scope": "organization"}}]})
    service = OneDriveService(source.backup.session, permissions=True)
    scope = next(s for s in service.scopes() if s.id == source.user_id)
    items = [i for batch in service.fetch(scope, None) for i in batch.items]
    [file] = [i for i in items if i.kind == "file"]
    assert {tuple(p["roles"]) for p in file.meta["permissions"]} == {("owner",), ("read",)}
    assert file.meta["drive_id"] == scope.meta["drive_id"] != ""
    source.control.seed("ms", TENANT, USER, "file", "/private.txt", b"p")
    before = len(source.control.stats()["requests"])
    plain = {i.meta["name"]: i for batch in source.backup.fetch(source.scope(), None) for i in batch.items
             if i.kind == "file"}
    # without asking: a shared file's sharing links are kept (its "shared" facet), a private one costs nothing
    assert {tuple(p["roles"]) for p in plain["shared.txt"].meta["permissions"]} == {("owner",), ("read",)}
    assert plain["shared.txt"].meta["shared"]["scope"] == "organization"
    assert "permissions" not in plain["private.txt"].meta
    asked = [r["path"] for r in source.control.stats()["requests"][before:] if r["path"].endswith("/permissions")]
    assert len(asked) == 1


def test_a_first_listing_of_a_few_hundred_files_is_one_delta_page(source: OneDriveSource) -> None:
    """The delta asks for the largest page the drive listing allows (1,000 rows), so a first backup
    of a drive costs a request per thousand items, not one per two hundred."""
    source.create(250)
    before = len([r for r in source.control.stats()["requests"] if r["path"].endswith("/root/delta")])
    items, cursor, _ = everything(source)
    requests = [r for r in source.control.stats()["requests"] if r["path"].endswith("/root/delta")]
    assert len([i for i in items if i.kind == "file"]) >= 250 and cursor is not None
    assert len(requests) - before == 1


def test_a_session_sets_up_one_http_client_under_the_tenant_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every backup run opens a session: it costs one HTTP client (one TLS set-up), and that client
    obeys the tenant-wide throttle (per-owner slots and the shared Retry-After pause)."""
    clients: list[object] = []
    real_init = httpx.Client.__init__

    def counting_init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        clients.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counting_init)
    session = GraphSession("tenant-one-client", "client", "secret", endpoint="https://graph.example.test")
    try:
        assert len(clients) == 1
        throttle = for_tenant("https://graph.example.test", "tenant-one-client")
        assert session.http.limiter is throttle.limiter and session.http.pause is throttle.pause
    finally:
        session.close()
