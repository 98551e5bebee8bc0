"""Google Drive backup (Drive API v3) against fakecloud as a real process.

The shared contract suite (binary files compared by the bytes ``stream()`` yields: everything first,
nothing second, changes and deletions, an invalid change token → full listing with reset, 429 with
Retry-After obeyed), plus: folder paths, owners / permissions / description / revisions in the
metadata, Google Docs / Sheets / Slides exported to OOXML and PDF, a file past the 10 MB export
limit recorded as such instead of failing, shared drives as scopes of their own, and the kind's hooks.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from typing import ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Connector, Cursor, Item, Scope
from kustos.sources.google import GoogleBackupConnector, build_backup
from kustos.sources.kinds import registry
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.google_backup_view import DOMAIN, EGRESS, USER, ContractView, GoogleSource

_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def read(item: Item) -> bytes:
    if item.stream is None:
        return item.data
    return b"".join(item.stream())


class FilesOnly(ContractView):
    name: ClassVar[str] = "google-backup-files"
    kinds = frozenset({"file"})

    def key(self, item: Item) -> bytes:
        return read(item)


class DriveSource(GoogleSource):
    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["drive"])
        self.backup = self.build()

    def connector(self) -> Connector:
        return FilesOnly(self.backup)  # type: ignore[arg-type]

    def scope(self) -> Scope:
        return Scope(id=f"drive:{USER}", kind="drive", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = f"file {next(_counter)} ".encode() * (n + 1)
            folder = ("/Docs", "/Docs/Sub", "")[n % 3]
            self.control.seed("google", DOMAIN, USER, "file", f"{folder}/f{next(_counter)}.txt", data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        path = f"{item.folder}/{item.meta['name']}" if item.folder else item.meta["name"]
        self.control.remove("google", DOMAIN, USER, "file", "/" + path)

    def invalidate_cursor(self) -> None:
        self.control.call("google/expire_sync", user=USER, kind="file")


class TestDriveBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> DriveSource:
        return DriveSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> DriveSource:
    return DriveSource(fakecloud)


def everything(source: DriveSource, scope: Scope | None = None,
               cursor: Cursor | None = None) -> tuple[list[Item], Cursor | None, bool]:
    result = drain(source.backup, scope or source.scope(), cursor)
    return result.items + result.deletions, result.cursor, result.reset


def test_kind_declares_backup_services_and_builds_the_connector(source: DriveSource) -> None:
    kind = registry.get("gmail")
    assert kind.services == ("archive", "backup")
    assert kind.backup_services == ("drive", "calendar", "contacts", "tasks", "gmail")
    assert kind.build_backup is not None and kind.build_restore is not None
    connector = kind.build_backup(source.config(), source.secret, EGRESS, kind.backup_services)
    assert isinstance(connector, GoogleBackupConnector)
    connector.check()
    scopes = {s.id: s.meta["service"] for s in connector.scopes() if s.name == USER}
    assert scopes == {f"{name}:{USER}": name for name in kind.backup_services}
    with pytest.raises(ValueError, match="unknown Google Workspace backup service.*: dropbox"):
        build_backup(source.config(), source.secret, EGRESS, ["drive", "dropbox"])


def test_folders_paths_and_metadata(source: DriveSource) -> None:
    source.control.seed("google", DOMAIN, USER, "file", "/Reports/2024/q1.bin", b"quarter one",
                        meta={"description": "first quarter"})
    source.control.seed("google", DOMAIN, USER, "file", "/Reports/2024/q1.bin", b"quarter one, revised")
    items, cursor, _ = everything(source)
    by_path = {(i.kind, i.folder, i.meta["name"]): i for i in items}
    file = by_path[("file", "Reports/2024", "q1.bin")]
    first_rev = file.meta["revisions"][0]["id"]
    assert set(by_path) == {("folder", "", "Reports"), ("folder", "Reports", "2024"),
                            ("file", "Reports/2024", "q1.bin"), ("folder", "Reports/2024", "q1.bin.revisions"),
                            ("revision", "Reports/2024/q1.bin.revisions", f"{first_rev}.bin")}
    assert read(by_path[("revision", "Reports/2024/q1.bin.revisions", f"{first_rev}.bin")]) == b"quarter one"
    assert read(file) == b"quarter one, revised"
    assert file.meta["description"] == "first quarter"
    assert file.meta["owners"][0]["emailAddress"] == USER
    assert file.meta["permissions"] == [{"kind": "drive#permission", "id": f"perm-{USER}", "type": "user",
                                         "role": "owner", "emailAddress": USER}]
    assert [r["size"] for r in file.meta["revisions"]] == [str(len(b"quarter one")),
                                                          str(len(b"quarter one, revised"))]
    assert file.meta["sha256Checksum"] == hashlib.sha256(b"quarter one, revised").hexdigest()
    assert file.meta["modified"] == file.meta["modifiedTime"]
    # An incremental round names the folder of a new file though its parent is not in the changes.
    source.control.seed("google", DOMAIN, USER, "file", "/Reports/2024/q2.bin", b"quarter two")
    later, _, reset = everything(source, cursor=cursor)
    assert not reset
    assert [(i.kind, i.folder, i.meta["name"]) for i in later] == [("file", "Reports/2024", "q2.bin")]


def test_native_files_exported_to_ooxml_and_pdf(source: DriveSource) -> None:
    source.control.seed("google", DOMAIN, USER, "file", "/Plans/Budget", b"budget text", meta={"native": "spreadsheet"})
    source.control.seed("google", DOMAIN, USER, "file", "/Plans/Memo", b"memo text", meta={"native": "document"})
    items, cursor, _ = everything(source)
    files = {i.meta["name"]: i for i in items if i.kind == "file"}
    assert set(files) == {"Budget.xlsx", "Budget.pdf", "Memo.docx", "Memo.pdf"}
    with zipfile.ZipFile(io.BytesIO(read(files["Memo.docx"]))) as archive:
        assert archive.read("word/document.xml") == b"memo text"
    assert read(files["Budget.pdf"]).startswith(b"%PDF-") and b"budget text" in read(files["Budget.pdf"])
    assert files["Memo.docx"].meta["exportedAs"].endswith("wordprocessingml.document")
    memo_id = files["Memo.docx"].source_id.partition(":")[0]
    source.control.remove("google", DOMAIN, USER, "file", "/Plans/Memo")
    later, _, _ = everything(source, cursor=cursor)
    assert sorted(i.source_id for i in later if i.deleted) == sorted(
        [memo_id, f"{memo_id}:ooxml", f"{memo_id}:pdf"])


def test_export_past_the_limit_is_recorded_not_fatal(source: DriveSource) -> None:
    source.control.seed("google", DOMAIN, USER, "file", "/Huge deck", b"slides",
                        meta={"native": "presentation", "export_size": 11 * 1024 * 1024})
    source.control.seed("google", DOMAIN, USER, "file", "/small.txt", b"small")
    items, _, _ = everything(source)
    [note] = [i for i in items if i.kind == "native"]
    assert note.meta["name"] == "Huge deck.export-failed.json"
    assert note.meta["export"] == "exportSizeLimitExceeded"
    assert json.loads(note.data)["export"] == "exportSizeLimitExceeded"
    assert [i.meta["name"] for i in items if i.kind == "file"] == ["small.txt"]


def test_shared_drive_is_its_own_scope(source: DriveSource) -> None:
    source.control.seed("google", DOMAIN, USER, "file", "/Contracts/a.bin", b"contract a",
                        meta={"shared_drive": "Legal"})
    source.control.seed("google", DOMAIN, USER, "file", "/mine.bin", b"mine")
    scopes = [s for s in source.backup.scopes() if s.kind == "shared-drive"]
    assert [s.name for s in scopes] == ["Legal"]
    items, cursor, _ = everything(source, scopes[0])
    assert {(i.kind, i.folder, i.meta["name"]) for i in items} == {("folder", "", "Contracts"),
                                                                    ("file", "Contracts", "a.bin")}
    assert read(next(i for i in items if i.kind == "file")) == b"contract a"
    mine, _, _ = everything(source)
    assert [i.meta["name"] for i in mine] == ["mine.bin"]  # My Drive does not hold the shared drive's files
    source.control.seed("google", DOMAIN, USER, "file", "/Contracts/b.bin", b"contract b",
                        meta={"shared_drive": "Legal"})
    later, _, _ = everything(source, scopes[0], cursor)
    assert [(i.meta["name"], read(i)) for i in later] == [("b.bin", b"contract b")]


def test_listing_pages_and_a_throttled_download_with_503(source: DriveSource) -> None:
    for n in range(5):
        source.control.seed("google", DOMAIN, USER, "file", f"/many/{n}.bin", f"content {n}".encode())
    paged = build_backup(source.config(), source.secret, EGRESS, ["drive"])
    paged.services["drive"].page_size = 2  # files.list in pages of 2: nextPageToken followed to the end
    items = drain(paged, source.scope(), None).items
    assert sorted(i.meta["name"] for i in items if i.kind == "file") == [f"{n}.bin" for n in range(5)]
    listed = [r for r in source.control.stats()["requests"] if r["path"] == "/drive/v3/files"]
    assert len(listed) == 4  # the 1 folder in one page, then the 5 files 2 per page
    file = next(i for i in items if i.meta["name"] == "3.bin")
    source.control.throttle(f"/drive/v3/files/{file.source_id}", 1, 0.5, status=503)
    assert read(file) == b"content 3"
    assert paged.session.http.waits == [0.5]


def test_first_listing_streams_page_by_page(source: DriveSource, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run yields a batch before the drive's last page is listed: memory holds one page of items
    and the folder tree, never the whole drive's file list."""
    for n in range(6):
        source.control.seed("google", DOMAIN, USER, "file", f"/stream/{n}.bin", f"content {n}".encode())
    monkeypatch.setattr("kustos.sources.google.drive.BATCH", 2)
    paged = build_backup(source.config(), source.secret, EGRESS, ["drive"])
    paged.services["drive"].page_size = 2
    batches = paged.fetch(source.scope(), None)
    first = next(batches)
    listed = [r for r in source.control.stats()["requests"] if r["path"] == "/drive/v3/files"]
    assert len(first.items) == 2 and first.next_cursor is None
    assert len(listed) == 2  # the folder page and the first files page only: 6 files need 3 pages
    rest = list(batches)
    assert rest[-1].next_cursor is not None and all(b.next_cursor is None for b in rest[:-1])
    names = sorted(i.meta["name"] for b in [first, *rest] for i in b.items if i.kind == "file")
    assert names == [f"{n}.bin" for n in range(6)]
