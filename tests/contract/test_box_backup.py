"""Box backup (kind ``box``, service ``files``) against fakecloud as a real process.

The shared connector contract (everything first, nothing second, changes and deletions, an expired
events stream position → full re-enumeration with ``reset``, throttling with Retry-After obeyed), plus:
paths and the metadata kept beside each file (sha1, size, version, comments, metadata instances, folder
collaborations), content sha256 equal to fakecloud's, an expired download URL fetched again, the kind's
declaration, and the emulator's routes all in the Box OpenAPI.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from fakecloud.app import FakeCloud
from fakecloud.testing import FakeCloudProcess, running_fakecloud, throttle_obeyed
from kustos.sources.base import AuthenticationFailed, Batch, Connector, Cursor, Item, Scope
from kustos.sources.box import BoxBackupConnector, FilesService
from kustos.sources.kinds import registry
from tests.contract.box_fixtures import EGRESS, BoxApi, BoxEnterprise, read
from tests.contract.box_fixtures import everything as fetch_all
from tests.contract.connector_contract import ConnectorContract

ENTERPRISE = "box-ent-1"
USER = "nina@box.example"
SPEC = Path("/work/shared/corpus/api/box/openapi.json")
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class FilesOnly:
    """Contract view: files only, ``data`` = the bytes their ``stream()`` yields."""

    name: ClassVar[str] = "box-files"

    def __init__(self, inner: BoxBackupConnector) -> None:
        self.inner = inner

    def check(self) -> None:
        self.inner.check()

    def scopes(self) -> Iterator[Scope]:
        yield from self.inner.scopes()

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        for batch in self.inner.fetch(scope, cursor):
            items = [i if i.deleted else replace(i, data=read(i)) for i in batch.items if i.kind == "file"]
            yield Batch(items, batch.next_cursor, batch.reset)


class BoxSource:
    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.box = BoxEnterprise(cloud, ENTERPRISE, [USER])
        self.control = self.box.control
        self.settings = self.box.settings
        self.backup = self.build()
        self.user_id = next(s for s in self.backup.scopes() if s.name == USER).meta["account"]

    def build(self) -> BoxBackupConnector:
        return self.box.build(["files"])

    def connector(self) -> Connector:
        return FilesOnly(self.backup)

    def scope(self) -> Scope:
        return Scope(id=f"files:{self.user_id}", kind="user", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = f"box file {next(_counter)} ".encode() * (n + 1)
            folder = ("/Docs", "/Docs/Sub", "")[n % 3]
            self.control.seed("box", ENTERPRISE, USER, "file", f"{folder}/f{next(_counter)}.txt", data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("box", ENTERPRISE, USER, "file", "/" + item.meta["path"])

    def invalidate_cursor(self) -> None:
        self.control.call("box/expire_events", tenant=ENTERPRISE, account=USER)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/2.0/", requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestBoxBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> BoxSource:
        return BoxSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> BoxSource:
    return BoxSource(fakecloud)


def everything(source: BoxSource, cursor: Cursor | None = None) -> tuple[list[Item], Cursor | None, bool]:
    return fetch_all(source.backup, source.scope(), cursor)


def test_kind_declares_backup_and_builds_the_connector(source: BoxSource) -> None:
    kind = registry.get("box")
    assert kind.services == ("backup",) and kind.backup_services == ("files", "enterprise")
    assert kind.scope_kinds == ("user", "enterprise")
    assert [f.name for f in kind.fields if f.required] == ["enterprise_id", "client_id", "client_secret"]
    assert all(english and german and english != german for english, german in kind.steps)
    config = {k: v for k, v in source.settings.items() if k != "client_secret"}
    connector = kind.build_backup(config, source.settings["client_secret"], EGRESS, ["files"])
    connector.check()
    assert [s.id for s in connector.scopes()] == [f"files:{source.user_id}"]
    with pytest.raises(ValueError, match="unknown Box backup service"):
        kind.build_backup(config, source.settings["client_secret"], EGRESS, ["mail"])
    bad = kind.build_backup(config, "wrong-secret", EGRESS, ["files"])
    with pytest.raises(AuthenticationFailed, match="Box refused the app's sign-in"):
        bad.check()


def test_the_plain_connector_tests_and_discovers_but_archives_nothing(source: BoxSource) -> None:
    source.control.seed("box", ENTERPRISE, USER, "file", "/a.txt", b"a")
    kind = registry.get("box")
    connector = kind.build(source.settings, source.settings["client_secret"], EGRESS)
    kind.test(connector)
    assert f"files:{source.user_id}" in {s.id for s in kind.discover(connector)}
    assert list(connector.fetch(source.scope(), None)) == []
    with pytest.raises(AuthenticationFailed, match="Box refused the app's sign-in"):
        kind.test(kind.build(source.settings, "wrong secret", EGRESS))


def test_paths_and_metadata_beside_each_file(source: BoxSource) -> None:
    control = source.control
    control.seed("box", ENTERPRISE, USER, "file", "/Projects/Q3/plan.txt", b"the plan\n",
                 meta={"comments": ["please review", "done"], "metadata": {"invoice": {"number": "R-17"}},
                       "collaborators": ["max@box.example"]})
    control.seed("box", ENTERPRISE, USER, "file", "/top.md", b"# top\n")
    items, _cursor, reset = everything(source)
    assert not reset
    by_path = {i.meta["path"]: i for i in items}
    assert {p: i.kind for p, i in by_path.items()} == {
        "Projects": "folder", "Projects/Q3": "folder", "Projects/Q3/plan.txt": "file", "top.md": "file"}
    plan = by_path["Projects/Q3/plan.txt"]
    assert plan.folder == "Projects/Q3" and plan.meta["name"] == "plan.txt"
    assert plan.meta["sha1"] == plan.meta["sha1Hash"] == hashlib.sha1(b"the plan\n").hexdigest()
    assert plan.meta["size"] == 9 and plan.meta["version"] and plan.meta["modified"]
    assert [c["message"] for c in plan.meta["comments"]] == ["please review", "done"]
    assert [(m["$template"], m["number"]) for m in plan.meta["metadata"]] == [("invoice", "R-17")]
    collaborations = by_path["Projects/Q3"].meta["collaborations"]
    assert [(c["role"], c["accessible_by"]["login"]) for c in collaborations] == [("editor", "max@box.example")]
    assert by_path["top.md"].meta["comments"] == [] and by_path["top.md"].meta["metadata"] == []


def test_content_sha256_equals_fakecloud_items(source: BoxSource) -> None:
    data = {"/a/b/one.bin": bytes(range(256)) * 400, "/two.txt": b"two\n", "/empty.txt": b""}
    for path, content in data.items():
        source.control.seed("box", ENTERPRISE, USER, "file", path, content)
    items, _, _ = everything(source)
    got = {"/" + i.meta["path"]: hashlib.sha256(read(i)).hexdigest() for i in items if i.kind == "file"}
    assert got == {r["path"]: r["sha256"] for r in source.control.items("box", ENTERPRISE, "file", USER)}


def test_expired_download_url_is_fetched_again(source: BoxSource) -> None:
    content = b"expiring " * 1000
    source.control.seed("box", ENTERPRISE, USER, "file", "/x.bin", content)
    source.control.call("box/download_url_lifetime", seconds=0.3)
    [item] = [i for i in everything(source)[0] if i.kind == "file"]
    assert item.stream is not None
    chunks = item.stream()  # the download URL is asked for now ...
    time.sleep(0.6)  # ... and has expired when the content is read
    assert b"".join(chunks) == content
    stats = source.control.stats()
    downloads = [r for r in stats["requests"] if r["path"].startswith("/d/1/")]
    content_asks = [r for r in stats["requests"] if r["path"] == f"/2.0/files/{item.source_id}/content"]
    assert len(content_asks) == 2 and len(downloads) == 2  # the expired URL (403), then a fresh one


def test_changes_deletions_and_resync_keep_paths(source: BoxSource) -> None:
    control = source.control
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/a.txt", b"a1")
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/b.txt", b"b1")
    _items, cursor, _ = everything(source)
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/a.txt", b"a2 changed")  # a new version
    control.remove("box", ENTERPRISE, USER, "file", "/Docs/b.txt")
    items, cursor, reset = everything(source, cursor)
    assert not reset
    live = [i for i in items if not i.deleted]
    assert [(i.meta["path"], read(i)) for i in live] == [("Docs/a.txt", b"a2 changed")]
    assert [i.kind for i in items if i.deleted] == ["file"]
    control.call("box/expire_events", tenant=ENTERPRISE, account=USER)
    items, cursor, reset = everything(source, cursor)
    assert reset and sorted(i.meta["path"] for i in items) == ["Docs", "Docs/a.txt"]
    assert everything(source, cursor)[0] == []


def test_expired_position_answers_box_error_body(source: BoxSource) -> None:
    api = BoxApi(source.backup)
    position = api.get("/events", source.user_id, stream_type="changes",
                       stream_position="now").json()["next_stream_position"]
    source.control.call("box/expire_events", tenant=ENTERPRISE, account=USER)
    answer = api.get("/events", source.user_id, stream_type="changes", stream_position=position)
    body = answer.json()
    assert answer.status_code == 400 and body["type"] == "error" and body["status"] == 400
    assert body["context_info"]["errors"][0]["name"] == "stream_position"


def test_served_routes_are_in_the_box_openapi() -> None:
    if not SPEC.exists():
        pytest.skip("the Box OpenAPI is not on this machine")
    spec = json.loads(SPEC.read_text())
    documented = {(m.upper(), re.sub(r"\{[^}]+\}", "*", p)) for p, ops in spec["paths"].items() for m in ops
                  if m in ("get", "post", "put", "delete", "options")}
    served = set()
    for method, anchored in FakeCloud().router.routes():
        pattern = anchored.strip("^$")
        for prefix in (r"/2\.0", r"/api/2\.0"):
            if pattern.startswith(prefix + "/"):
                template = re.sub(r"\(\?P<\w+>[^)]*\)", "*", pattern.removeprefix(prefix)).replace("\\", "")
                served.add((method, template))
    assert len(served) >= 13
    assert served <= documented, sorted(served - documented)


def test_folder_items_are_read_page_by_page(source: BoxSource) -> None:
    for n in range(7):
        source.control.seed("box", ENTERPRISE, USER, "file", f"/p{n}.txt", f"page {n}".encode())
    service = FilesService(source.backup.session, page_size=3)
    before = len([r for r in source.control.stats()["requests"] if r["path"] == "/2.0/folders/0/items"])
    items = [i for b in service.fetch(Scope(id=source.user_id, kind="user"), None) for i in b.items]
    assert sorted(i.meta["name"] for i in items) == [f"p{n}.txt" for n in range(7)]
    after = len([r for r in source.control.stats()["requests"] if r["path"] == "/2.0/folders/0/items"])
    assert after - before == 3  # offsets 0, 3, 6 of total_count 7


def test_emulator_pages_users_by_offset_and_by_marker(source: BoxSource) -> None:
    for n in range(4):
        source.control.seed("box", ENTERPRISE, f"u{n}@box.example", "file", "/x.txt", b"x")
    api = BoxApi(source.backup)
    by_offset = api.get("/users", limit=2, offset=2).json()
    assert by_offset["total_count"] == 5 and by_offset["offset"] == 2 and len(by_offset["entries"]) == 2
    logins, marker = [], None
    while True:
        params = {"limit": 2, "usemarker": "true", **({"marker": marker} if marker else {})}
        page = api.get("/users", **params).json()
        assert "total_count" not in page
        logins += [u["login"] for u in page["entries"]]
        marker = page["next_marker"]
        if not marker:
            break
    assert len(logins) == len(set(logins)) == 5 and USER in logins


def test_a_renamed_folder_brings_everything_below_it_with_new_paths(source: BoxSource) -> None:
    control = source.control
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/a.txt", b"a")
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/Sub/b.txt", b"b")
    _items, cursor, _ = everything(source)
    control.call("box/move", tenant=ENTERPRISE, account=USER, path="/Docs", to="/Archive/Papers")
    items, cursor, reset = everything(source, cursor)
    assert not reset and not any(i.deleted for i in items)
    got = {i.meta["path"]: (read(i) if i.kind == "file" else None) for i in items}
    assert {p: v for p, v in got.items() if p.startswith("Archive/Papers")} == {
        "Archive/Papers": None, "Archive/Papers/a.txt": b"a", "Archive/Papers/Sub": None,
        "Archive/Papers/Sub/b.txt": b"b"}
    assert set(got) - {"Archive", "Archive/Papers", "Archive/Papers/a.txt", "Archive/Papers/Sub",
                       "Archive/Papers/Sub/b.txt"} == set()
    assert everything(source, cursor)[0] == []
