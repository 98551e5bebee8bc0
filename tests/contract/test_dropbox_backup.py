"""Dropbox team backup against fakecloud as a real process.

The shared connector contract suite (files compared by the bytes their ``stream()`` yields), plus:
members and team folders as scopes, paths and metadata (content_hash = Dropbox's 4 MiB block scheme,
rev, server_modified, sharing info of team folders), paging through ``list_folder/continue``, a
``reset`` cursor re-enumerating everything, the 429 ``too_many_requests`` shape, the kind's fields
and the emulator's faithfulness (select-user required, reset error body, Dropbox-API-Result).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

import httpx
import pytest

from fakecloud.dropbox.hashing import content_hash
from fakecloud.testing import FakeCloudProcess, throttle_obeyed
from kustos.sources.base import Batch, Connector, Cursor, Item, Scope
from kustos.sources.dropbox import DropboxBackupConnector, build_backup
from kustos.sources.dropbox.restore import DropboxRestoreWriter
from kustos.sources.kinds import registry
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.dropbox_fixtures import EGRESS, files_of, module_fakecloud

TEAM = "acme-dropbox.example"
USER = "nina@acme-dropbox.example"
_counter = itertools.count()
fakecloud = module_fakecloud()


def read(item: Item) -> bytes:
    assert item.stream is not None
    return b"".join(item.stream())


class FilesView:
    """Contract view: files only, their ``data`` = the bytes their stream yields."""

    name: ClassVar[str] = "dropbox-files"

    def __init__(self, inner: DropboxBackupConnector) -> None:
        self.inner = inner

    def check(self) -> None:
        self.inner.check()

    def scopes(self) -> Iterator[Scope]:
        yield from self.inner.scopes()

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        for batch in self.inner.fetch(scope, cursor):
            items = [i if i.deleted else replace(i, data=read(i)) for i in batch.items if i.kind == "file"]
            yield Batch(items, batch.next_cursor, batch.reset)


class DropboxSource:
    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("dropbox", TEAM)
        self.control.seed("dropbox", TEAM, USER, "file", "/.keep", b"")  # creates the member
        self.control.remove("dropbox", TEAM, USER, "file", "/.keep")
        self.backup = self.build()
        self.member_id = next(s for s in self.backup.scopes() if s.name == USER).meta["account"]

    def build(self) -> DropboxBackupConnector:
        return build_backup(self.settings, self.settings["app_secret"], EGRESS, ["files"])

    def connector(self) -> Connector:
        return FilesView(self.backup)

    def scope(self) -> Scope:
        return Scope(id=f"files:{self.member_id}", kind="member", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = f"file {next(_counter)} ".encode() * (n + 1)
            folder = ("/Docs", "/Docs/Sub", "")[n % 3]
            self.control.seed("dropbox", TEAM, USER, "file", f"{folder}/f{next(_counter)}.txt", data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("dropbox", TEAM, USER, "file", "/" + item.meta["path"])

    def invalidate_cursor(self) -> None:
        self.control.call("dropbox/invalidate_cursors", tenant=TEAM, account=USER)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/dropbox/2/", requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestDropboxBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> DropboxSource:
        return DropboxSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> DropboxSource:
    return DropboxSource(fakecloud)


def everything(source: DropboxSource, scope: Scope | None = None,
               cursor: Cursor | None = None) -> tuple[list[Item], Cursor | None, bool]:
    result = drain(source.backup, scope or source.scope(), cursor)
    return result.items + result.deletions, result.cursor, result.reset


def test_kind_is_registered_with_backup_only():
    kind = registry.get("dropbox")
    assert kind.services == ("backup",) and kind.backup_services == ("files",)
    assert kind.secret_field.name == "app_secret"
    assert [f.name for f in kind.settings] == ["app_key", "sign_in", "endpoint", "content_endpoint"]
    assert len(kind.steps) == 6 and all(en and de for en, de in kind.steps)
    assert "grant_type=authorization_code" in kind.steps[5][0] and "code_verifier" in kind.steps[5][1]
    with pytest.raises(ValueError, match="unknown Dropbox backup service.*: mail"):
        build_backup({"app_key": "k"}, "s", EGRESS, ["files", "mail"])


def test_members_and_team_folders_are_scopes(source: DropboxSource):
    source.control.seed("dropbox", TEAM, "max@acme-dropbox.example", "file", "/m.txt", b"max")
    source.control.seed("dropbox", TEAM, "teamfolder:Projects", "file", "/Plan/p.txt", b"projects plan")
    kind = registry.get("dropbox")
    connector = kind.build_backup(source.settings, source.settings["app_secret"], EGRESS, kind.backup_services)
    connector.check()
    scopes = {s.name: s for s in connector.scopes()}
    assert set(scopes) == {f"admin@{TEAM}", USER, "max@acme-dropbox.example", "Projects", "Team"}
    assert scopes["Projects"].kind == "teamfolder" and scopes["Projects"].id.startswith("files:teamfolder:")
    assert scopes["Team"].kind == "team" and scopes["Team"].id == "files:team"
    assert {s.kind for n, s in scopes.items() if n not in ("Projects", "Team")} == {"member"}
    items, _, _ = everything(source, scopes["Projects"])
    by_path = {i.meta["path"]: i for i in items}
    assert set(by_path) == {"Plan", "Plan/p.txt"}
    assert read(by_path["Plan/p.txt"]) == b"projects plan"
    assert by_path["Plan/p.txt"].meta["sharing_info"]["parent_shared_folder_id"] == scopes["Projects"].meta[
        "account"].removeprefix("teamfolder:")


def test_paths_metadata_and_content_hash(source: DropboxSource):
    big = bytes(range(256)) * (4 * 4096 + 3)  # > 4 MiB: two blocks
    source.control.seed("dropbox", TEAM, USER, "file", "/Reports/2024/Q1 Übersicht.bin", big)
    items, cursor, _ = everything(source)
    by_path = {(i.kind, i.meta["path"]): i for i in items}
    assert set(by_path) == {("folder", "Reports"), ("folder", "Reports/2024"),
                            ("file", "Reports/2024/Q1 Übersicht.bin")}
    file = by_path[("file", "Reports/2024/Q1 Übersicht.bin")]
    assert file.folder == "Reports/2024" and file.meta["name"] == "Q1 Übersicht.bin"
    assert file.source_id == "/reports/2024/q1 übersicht.bin"
    assert file.meta["size"] == len(big) and file.meta["rev"] and file.meta["server_modified"].endswith("Z")
    blocks = b"".join(hashlib.sha256(big[i:i + 4 * 1024 * 1024]).digest() for i in range(0, len(big), 4 << 20))
    assert file.meta["content_hash"] == hashlib.sha256(blocks).hexdigest() == content_hash(big)
    assert file.meta["hash"] == file.meta["content_hash"]  # the sink's content tag
    assert read(file) == big
    theirs = files_of(source.control, TEAM, USER)
    assert theirs == {"/Reports/2024/Q1 Übersicht.bin": hashlib.sha256(big).hexdigest()}
    # a change: the new rev and hash arrive in the delta, nothing else
    source.control.seed("dropbox", TEAM, USER, "file", "/Reports/2024/Q1 Übersicht.bin", b"smaller")
    later, _, reset = everything(source, cursor=cursor)
    assert not reset and [(i.kind, i.meta["path"], read(i)) for i in later] == [
        ("file", "Reports/2024/Q1 Übersicht.bin", b"smaller")]
    assert later[0].meta["rev"] != file.meta["rev"] and later[0].meta["content_hash"] == content_hash(b"smaller")


def test_paging_through_continue(source: DropboxSource):
    for n in range(7):
        source.control.seed("dropbox", TEAM, USER, "file", f"/p/{n}.txt", str(n).encode())
    connector = source.build()
    connector.services["files"].page_size = 3
    result = drain(connector, source.scope(), None)
    assert result.batches == 3 and sorted(i.meta["path"] for i in result.items if i.kind == "file") == [
        f"p/{n}.txt" for n in range(7)]


def test_reset_cursor_answers_409_reset_and_resyncs(source: DropboxSource):
    source.control.seed("dropbox", TEAM, USER, "file", "/a.txt", b"a")
    _, cursor, _ = everything(source)
    source.control.call("dropbox/invalidate_cursors", tenant=TEAM, account=USER)
    token = httpx.post(f"{source.settings['endpoint']}/oauth2/token",
                       data={"grant_type": "client_credentials", "client_id": source.settings["app_key"],
                             "client_secret": source.settings["app_secret"]}).json()["access_token"]
    raw = httpx.post(f"{source.settings['endpoint']}/2/files/list_folder/continue", json={"cursor": cursor["cursor"]},
                     headers={"Authorization": f"Bearer {token}", "Dropbox-API-Select-User": source.member_id})
    assert raw.status_code == 409 and raw.json()["error"] == {".tag": "reset"}
    items, again, reset = everything(source, cursor=cursor)
    assert reset and [i.meta["path"] for i in items] == ["a.txt"]
    assert everything(source, cursor=again)[0] == []


def test_emulator_is_faithful_to_the_api(source: DropboxSource):
    endpoint = source.settings["endpoint"]
    token = httpx.post(f"{endpoint}/oauth2/token", data={"grant_type": "client_credentials",
                                                         "client_id": source.settings["app_key"],
                                                         "client_secret": source.settings["app_secret"]}).json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    bad = httpx.post(f"{endpoint}/oauth2/token", data={"grant_type": "client_credentials",
                                                       "client_id": source.settings["app_key"],
                                                       "client_secret": "wrong"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    no_user = httpx.post(f"{endpoint}/2/files/list_folder", json={"path": ""}, headers=auth)
    assert no_user.status_code == 400 and "Dropbox-API-Select-User" in no_user.text
    members = httpx.post(f"{endpoint}/2/team/members/list", json={"limit": 1}, headers=auth).json()
    assert members["has_more"] and len(members["members"]) == 1
    rest = httpx.post(f"{endpoint}/2/team/members/list/continue", json={"cursor": members["cursor"]},
                      headers=auth).json()
    emails = {m["profile"]["email"] for m in members["members"] + rest["members"]}
    assert emails == {f"admin@{TEAM}", USER} and not rest["has_more"]
    source.control.seed("dropbox", TEAM, USER, "file", "/d.txt", b"download me")
    user = {**auth, "Dropbox-API-Select-User": source.member_id}
    got = httpx.post(f"{endpoint}/2/files/download", headers={**user, "Dropbox-API-Arg": '{"path": "/D.txt"}'})
    assert got.content == b"download me"
    assert json.loads(got.headers["Dropbox-API-Result"])["content_hash"] == content_hash(b"download me")
    missing = httpx.post(f"{endpoint}/2/files/download", headers={**user, "Dropbox-API-Arg": '{"path": "/x"}'})
    assert missing.status_code == 409 and missing.json()["error_summary"].startswith("path/not_found/")
    source.control.throttle("/dropbox/2/files/list_folder", 1, 2)
    throttled = httpx.post(f"{endpoint}/2/files/list_folder", json={"path": ""}, headers=user)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert throttled.json()["error"] == {"reason": {".tag": "too_many_requests"}, "retry_after": 2}


def test_throttled_download_is_retried_after_the_pause(source: DropboxSource):
    source.control.seed("dropbox", TEAM, USER, "file", "/t.txt", b"throttled content")
    items, _, _ = everything(source)
    [file] = [i for i in items if i.kind == "file"]
    source.control.throttle("/dropbox/2/files/download", 1, 1)
    assert read(file) == b"throttled content"
    assert throttle_obeyed(source.control.stats())




def test_the_plain_connector_tests_and_discovers_but_archives_nothing(source: DropboxSource):
    source.control.seed("dropbox", TEAM, USER, "file", "/a.txt", b"a")
    kind = registry.get("dropbox")
    connector = kind.build(source.settings, source.settings["app_secret"], EGRESS)
    kind.test(connector)
    scopes = kind.discover(connector)
    assert f"files:{source.member_id}" in {s.id for s in scopes}
    assert list(connector.fetch(source.scope(), None)) == []
    with pytest.raises(Exception, match="refused the app key and secret"):
        kind.test(kind.build(source.settings, "wrong secret", EGRESS))


def test_restore_writer_uploads_large_files_in_a_session_and_honours_conflicts(source: DropboxSource):
    data = bytes(range(256)) * 81  # 20,736 bytes: with 4 KiB chunks, start + 4 appends + finish
    writer = DropboxRestoreWriter(source.build().session, small=1024, chunk=4096)
    account = f"files:{source.member_id}"
    assert writer.write(account, "Big/b.bin", "file", len(data), {}, lambda: io.BytesIO(data),
                        to_account=USER) == "restored"
    theirs = files_of(source.control, TEAM, USER)
    assert theirs == {"/Big/b.bin": hashlib.sha256(data).hexdigest()}
    assert writer.write(account, "Big/b.bin", "file", len(data), {}, lambda: io.BytesIO(b"x" * len(data)),
                        conflict="skip") == "skipped"
    assert writer.write(account, "Big/b.bin", "file", len(data), {}, lambda: io.BytesIO(b"y" * len(data)),
                        conflict="copy") == "restored"
    assert writer.write(account, "Big/b.bin", "file", 3, {}, lambda: io.BytesIO(b"new"), conflict="replace") == \
        "restored"
    theirs = files_of(source.control, TEAM, USER)
    assert theirs == {"/Big/b.bin": hashlib.sha256(b"new").hexdigest(),
                      "/Big/b (1).bin": hashlib.sha256(b"y" * len(data)).hexdigest()}
    with pytest.raises(ValueError, match="ended at byte 8192 of 20736"):
        writer.write(account, "short.bin", "file", len(data), {}, lambda: io.BytesIO(data[:8192]))
    with pytest.raises(ValueError, match="unknown conflict mode 'merge'"):
        writer.write(account, "x.bin", "file", 1, {}, lambda: io.BytesIO(b"x"), conflict="merge")
    with pytest.raises(ValueError, match="no member 'nobody' in the Dropbox team"):
        writer.write(account, "x.bin", "file", 1, {}, lambda: io.BytesIO(b"x"), to_account="nobody")


def test_a_deleted_folder_is_one_deletion_entry(source: DropboxSource):
    for name in ("a", "b", "c"):
        source.control.seed("dropbox", TEAM, USER, "file", f"/Old/Sub/{name}.txt", name.encode())
    source.control.seed("dropbox", TEAM, USER, "file", "/keep.txt", b"keep")
    _, cursor, _ = everything(source)
    source.control.remove("dropbox", TEAM, USER, "file", "/Old")
    delta, _, reset = everything(source, cursor=cursor)
    assert not reset and [(i.deleted, i.source_id, i.meta["path"]) for i in delta] == [(True, "/old", "Old")]
    assert [row["path"] for row in source.control.items("dropbox", TEAM, "file", USER)] == ["/keep.txt"]


def test_restore_writer_writes_into_a_team_folder(source: DropboxSource):
    source.control.seed("dropbox", TEAM, "teamfolder:Projekte", "file", "/x.txt", b"x")
    folder = next(s for s in source.build().scopes() if s.kind == "teamfolder").meta["account"]
    writer = DropboxRestoreWriter(source.build().session)
    account = f"files:{source.member_id}"
    assert writer.write(account, "Docs", "folder", 0, {}, None, to_account=folder) == "restored"
    assert writer.write(account, "Docs/a.txt", "file", 5, {}, lambda: io.BytesIO(b"hallo"),
                        to_account=f"files:{folder}") == "restored"
    theirs = files_of(source.control, TEAM, "teamfolder:Projekte")
    assert theirs == {"/x.txt": hashlib.sha256(b"x").hexdigest(), "/Docs/a.txt": hashlib.sha256(b"hallo").hexdigest()}
