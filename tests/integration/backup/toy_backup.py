"""A toy backup source for the engine's tests: an in-memory cloud with accounts, files (streams) and
small items (data), delta cursors, deletions, a reset (epoch change), failing items and counters of
what was downloaded. Registered as the kind ``toybackup`` by the fixtures in conftest.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Item, Scope
from kustos.sources.kinds.fields import PASSWORD, TEXT, Field, Kind

CLOUDS: dict[str, Cloud] = {}
SERVICES = ("files", "mail")


@dataclass
class Entry:
    kind: str
    folder: str
    name: str
    content: bytes
    version: int
    etag: int = 1

    @property
    def service(self) -> str:
        return "files" if self.kind in ("file", "folder") else "mail"


@dataclass
class Cloud:
    accounts: dict[str, dict[str, Entry]] = field(default_factory=dict)
    version: int = 0
    epoch: int = 1
    gone: dict[str, dict[str, int]] = field(default_factory=dict)  # account -> id -> version deleted
    failing: set[str] = field(default_factory=set)  # item ids whose download breaks
    broken_scope: str = ""  # fetching this account raises (the whole run fails)
    downloads: list[str] = field(default_factory=list)  # ids whose content was read
    batch_size: int = 2

    def put(self, account: str, item_id: str, kind: str, folder: str, name: str, content: bytes) -> None:
        self.version += 1
        old = self.accounts.setdefault(account, {}).get(item_id)
        etag = old.etag + 1 if old else 1
        self.accounts[account][item_id] = Entry(kind, folder, name, content, self.version, etag)
        self.gone.get(account, {}).pop(item_id, None)

    def touch(self, account: str, item_id: str) -> None:
        """Metadata change only (new eTag, same content and cTag)."""
        self.version += 1
        entry = self.accounts[account][item_id]
        entry.version, entry.etag = self.version, entry.etag + 1

    def remove(self, account: str, item_id: str) -> None:
        self.version += 1
        del self.accounts[account][item_id]
        self.gone.setdefault(account, {})[item_id] = self.version


def _item(cloud: Cloud, account: str, item_id: str, e: Entry) -> Item:
    ctag = hashlib.sha256(e.content).hexdigest()[:16]
    meta: dict[str, Any] = {"name": e.name, "eTag": f"{item_id}.{e.etag}", "lastModifiedDateTime":
                            "2026-06-01T10:00:00Z", "owner": account}
    if e.kind == "folder":
        return Item(source_id=item_id, kind="folder", folder=e.folder, meta=meta)
    if e.kind == "file":
        meta["cTag"] = ctag

        def stream() -> Iterator[bytes]:
            cloud.downloads.append(item_id)
            half = len(e.content) // 2
            yield e.content[:half]
            if item_id in cloud.failing:
                raise ConnectorError(f"download of {e.name} broke off")
            yield e.content[half:]
        return Item(source_id=item_id, kind="file", folder=e.folder, meta=meta, stream=stream)
    cloud.downloads.append(item_id)
    if item_id in cloud.failing:
        raise ConnectorError(f"item {item_id} could not be read")
    return Item(source_id=item_id, kind=e.kind, folder=e.folder, meta=meta, data=e.content)


class ToyBackupConnector:
    name: ClassVar[str] = "toybackup"

    def __init__(self, cloud: Cloud, services: list[str]) -> None:
        self.cloud, self.services = cloud, list(services)

    def check(self) -> None:
        pass

    def scopes(self) -> list[Scope]:
        return [Scope(id=name, kind="user", name=f"{name}@kunde.example") for name in sorted(self.cloud.accounts)]

    def fetch(self, scope: Scope, cursor: dict | None) -> Iterator[Batch]:
        cloud = self.cloud
        if scope.id == cloud.broken_scope:
            raise ConnectorError(f"{scope.id}: the service is unavailable")
        entries = cloud.accounts.get(scope.id, {})
        full = cursor is None or cursor.get("epoch") != cloud.epoch
        if full:
            changed = sorted(entries)
            deleted: list[str] = []
        else:
            changed = sorted(i for i, e in entries.items() if e.version > cursor["v"])
            deleted = sorted(i for i, v in cloud.gone.get(scope.id, {}).items() if v > cursor["v"])
        items: list[Item] = []
        for item_id in changed:
            if entries[item_id].service in self.services:
                try:
                    items.append(_item(cloud, scope.id, item_id, entries[item_id]))
                except ConnectorError:
                    items.append(Item(source_id=item_id, kind="mail", folder=entries[item_id].folder,
                                      meta={"name": entries[item_id].name}, stream=_broken(item_id)))
        items += [Item(source_id=i, deleted=True, kind="file") for i in deleted]
        cut = [items[i:i + cloud.batch_size] for i in range(0, len(items), cloud.batch_size)] or [[]]
        for n, chunk in enumerate(cut):
            last = n == len(cut) - 1
            yield Batch(items=chunk, next_cursor={"v": cloud.version, "epoch": cloud.epoch} if last else None,
                        reset=full and cursor is not None)


def _broken(item_id: str):
    def stream() -> Iterator[bytes]:
        raise ConnectorError(f"item {item_id} could not be read")
        yield b""  # pragma: no cover
    return stream


def _build(config: dict[str, Any], secret: str, egress: Any) -> ToyBackupConnector:
    return ToyBackupConnector(CLOUDS[config["cloud"]], list(SERVICES))


def _build_backup(config: dict[str, Any], secret: str, egress: Any, services: Any) -> ToyBackupConnector:
    return ToyBackupConnector(CLOUDS[config["cloud"]], list(services))


KIND = Kind(
    name="toybackup", label="Toy Backup Cloud", label_de="Spielzeug-Backup-Cloud", build=_build,
    services=("archive", "backup"), scope_kinds=("user",), backup_services=SERVICES, build_backup=_build_backup,
    fields=(Field("cloud", TEXT, "Cloud", "Cloud", required=True, max_length=50),
            Field("token", PASSWORD, "Token", "Token", required=True, noun="token")),
)
