"""SharePoint backup through Graph against fakecloud as a real process: the contract suite on list
items, sites and subsites as scopes, document libraries (paths, content sha256 equal to fakecloud's
``/_fakecloud/items``), site pages (new, unchanged, removed)."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from typing import ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Item, Scope
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.graph_backup_view import ContractView, GraphSource

TENANT = "sp.onmicrosoft.com"
USER = "sam@sp.onmicrosoft.com"
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class ListItemsByTitle(ContractView):
    """Contract view: list items only, keyed by their ``Title`` field."""

    name: ClassVar[str] = "graph-backup-listitems"
    kinds = frozenset({"listitem"})

    def key(self, item: Item) -> bytes:
        return str(json.loads(item.data)["fields"]["Title"]).encode()


class SiteSource(GraphSource):
    tenant = TENANT

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["sharepoint"])
        self.control.seed("ms", TENANT, USER, "page", "proj/Home", json.dumps({"title": "Home"}).encode())
        self.backup = self.build()
        self.site = next(s for s in self.backup.scopes() if s.name.endswith("/sites/proj"))

    def connector(self) -> ListItemsByTitle:
        return ListItemsByTitle(self.backup)

    def scope(self) -> Scope:
        return self.site

    def create(self, count: int) -> list[bytes]:
        titles = []
        for _ in range(count):
            title = f"Ticket {next(_counter)}"
            self.control.seed("ms", TENANT, USER, "listitem", "proj/Tickets", json.dumps({"Title": title}).encode())
            titles.append(title.encode())
        return titles

    def delete(self, item: Item) -> None:
        self.control.remove("ms", TENANT, USER, "listitem", f"proj/{item.folder}/{item.source_id}")

    def invalidate_cursor(self) -> None:
        self.control.ms_invalidate_delta(TENANT, "listitem", path="proj/Tickets")


class TestSharePointListItemsContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> SiteSource:
        return SiteSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> SiteSource:
    return SiteSource(fakecloud)


def test_sites_and_subsites_are_scopes(source: SiteSource) -> None:
    source.control.seed("ms", TENANT, USER, "listitem", "proj/emea/Risks", json.dumps({"Title": "R1"}).encode())
    scopes = list(source.backup.scopes())
    urls = sorted(s.name for s in scopes)
    assert urls == ["https://sp.sharepoint.com", "https://sp.sharepoint.com/sites/proj",
                    "https://sp.sharepoint.com/sites/proj/emea"]
    assert all(s.id.startswith("sharepoint:") and s.kind == "site" for s in scopes)
    emea = next(s for s in scopes if s.name.endswith("/emea"))
    items = drain(source.backup, emea, None).items
    assert [(i.kind, i.folder, json.loads(i.data)["fields"]["Title"]) for i in items] == [("listitem", "Risks", "R1")]


def test_library_files_with_paths_and_sha256(source: SiteSource) -> None:
    for n, path in enumerate(("/Specs/a.txt", "/Specs/v2/b.bin", "/c.md")):
        source.control.seed("ms", TENANT, USER, "file", path, bytes([n]) * (1000 + n), {"site": "proj"})
    result = drain(source.backup, source.scope(), None)
    files = [i for i in result.items if i.kind == "file"]
    folders = sorted(i.meta["path"] for i in result.items if i.kind == "folder")
    assert folders == ["Documents/Specs", "Documents/Specs/v2"]
    assert sorted((i.folder, i.meta["library"]) for i in files) == [
        ("Documents", "Documents"), ("Documents/Specs", "Documents"), ("Documents/Specs/v2", "Documents")]
    assert files[0].stream is not None
    ours = {f"sites/proj/{i.meta['path']}": hashlib.sha256(b"".join(i.stream())).hexdigest()
            for i in files if i.stream}
    # fakecloud names the library by its URL name, the backup by its display name (drive.name)
    theirs = {r["path"].replace("/Shared Documents/", "/Documents/"): r["sha256"]
              for r in source.control.items("ms", TENANT, "file", "sites/proj")}
    assert ours == theirs and len(ours) == 3


def test_pages_new_unchanged_and_removed(source: SiteSource) -> None:
    first = drain(source.backup, source.scope(), None)
    [home] = [i for i in first.items if i.kind == "page"]
    assert home.folder == "SitePages" and json.loads(home.data)["title"] == "Home" and home.meta["eTag"]
    again = drain(source.backup, source.scope(), first.cursor)
    assert again.items == [] and again.deletions == []
    source.control.seed("ms", TENANT, USER, "page", "proj/News", json.dumps({"title": "News"}).encode())
    source.control.remove("ms", TENANT, USER, "page", "proj/Home.aspx")
    delta = drain(source.backup, source.scope(), first.cursor)
    assert [json.loads(i.data)["title"] for i in delta.items] == ["News"]
    assert [(d.kind, d.source_id) for d in delta.deletions] == [("page", home.source_id)]
