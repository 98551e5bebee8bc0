"""Outlook PST/OST files via libpff (pypff), streamed item by item.

Folder paths are taken below the store's IPM subtree ("Top of Personal Folders" and its
localised names), so a message in ``Top of Personal Folders/Inbox`` gets folder
``Inbox``; system folders outside the IPM subtree (search roots, views, reminders) are
not imported. Mail becomes faithful RFC 5322 (see mime_build), contacts become vCards,
appointments and tasks iCalendar, each wrapped in a message (see render).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypff

from .model import Entry, ImportItem, Quarantined, Skipped, quarantine_file
from .pst_convert import calendar_bytes, contact_bytes, flags, item_kind, message_bytes, received, salvage
from .pst_props import NameMap, Props
from .sniff import PST_MAGIC, describe

PR_IPM_SUBTREE_ENTRYID = 0x35E0
PR_MESSAGE_CLASS = 0x001A


class PstReader:
    """``source_path`` of an item is ``file#<folder path>/<pypff identifier>``."""

    name: str = "pst"
    extensions: tuple[str, ...] = (".pst", ".ost")

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.startswith(PST_MAGIC)

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]:
        with path.open("rb") as fh:
            head = fh.read(16)
        if not head.startswith(PST_MAGIC):
            yield quarantine_file(
                str(path), f"not an Outlook PST/OST file: no '!BDN' signature ({describe(head)})"
            )
            return
        pst = pypff.file()
        try:
            pst.open(str(path))
        except OSError as exc:
            yield quarantine_file(
                str(path), f"Outlook PST/OST file could not be opened (damaged or truncated?): {_short(exc)}"
            )
            return
        try:
            names = NameMap(pst)
            root, _ = _ipm_root(pst)
            yield from self._folder(root, [folder] if folder else [], path, names)
        finally:
            pst.close()

    def count(self, path: Path) -> int | None:
        pst = pypff.file()
        try:
            pst.open(str(path))
        except OSError:
            return None
        try:
            return _count(_ipm_root(pst)[0])
        finally:
            pst.close()

    def _folder(self, folder: Any, parts: list[str], path: Path, names: NameMap) -> Iterator[Entry]:
        label = "/".join(parts)
        try:
            count = folder.number_of_sub_messages
        except OSError:
            count = 0
        for index in range(count):
            yield self._item(folder, index, label, path, names)
        try:
            subfolders = folder.number_of_sub_folders
        except OSError:
            subfolders = 0
        for index in range(subfolders):
            try:
                sub = folder.get_sub_folder(index)
                name = (sub.name or "").replace("/", "_") or f"folder-{sub.identifier}"
            except OSError as exc:
                yield Quarantined(
                    f"{path}#{label}", f"PST subfolder {index} could not be read: {_short(exc)}", b""
                )
                continue
            yield from self._folder(sub, [*parts, name], path, names)

    def _item(self, folder: Any, index: int, label: str, path: Path, names: NameMap) -> Entry:
        source = f"{path}#{label}/{index}"
        try:
            item = folder.get_sub_message(index)
            source = f"{path}#{label}/{item.identifier}"
        except OSError as exc:
            return Quarantined(source, f"PST item could not be read: {_short(exc)}", b"")
        message_class = Props(item).text(PR_MESSAGE_CLASS) or "IPM.Note"
        if not isinstance(item, pypff.message):
            return Skipped(source, f"PST item of class {message_class!r} is not a message item")
        kind = item_kind(message_class)
        try:
            if kind == "contact":
                raw = contact_bytes(item, names)
            elif kind in ("appointment", "task"):
                raw = calendar_bytes(item, names, kind, source)
            else:
                raw = message_bytes(item, names)
        except Exception as exc:  # one damaged item must not stop the rest of the store
            reason = f"PST item ({message_class}) could not be converted: {_short(exc)}"
            return Quarantined(source, reason, salvage(item))
        return ImportItem(
            raw=raw,
            folders=[label] if label else [],
            source_path=source,
            kind=kind,
            received=received(item),
            flags=flags(item),
        )


def _short(exc: BaseException) -> str:
    """The innermost libpff cause, without function names.

    libpff chains messages outermost-last after pypff's own prefix, e.g.
    "pypff_file_open: unable to open file. libpff_index_node_read...: unable to read
    index node data at offset: 13916672 (0x00d45a00). ...".
    """
    parts = [p.strip().rstrip(".") for p in str(exc).split(". ") if p.strip()]
    causes = [p for p in parts if not p.startswith("pypff_")] or parts
    if not causes:
        return type(exc).__name__
    _, sep, text = causes[0].partition(": ")
    return text if sep and causes[0].split(":", 1)[0].startswith("libpff") else causes[0]


def _ipm_root(pst: Any) -> tuple[Any, bool]:
    """The IPM subtree folder (user-visible root) if the store names one, else the root."""
    root = pst.root_folder
    try:
        entry_id = Props(pst.message_store).data(PR_IPM_SUBTREE_ENTRYID)
    except OSError:
        entry_id = b""
    if len(entry_id) >= 24:
        (nid,) = struct.unpack_from("<I", entry_id, 20)
        for index in range(root.number_of_sub_folders):
            try:
                sub = root.get_sub_folder(index)
            except OSError:
                continue
            if sub.identifier == nid:
                return sub, True
    return root, False


def _count(folder: Any) -> int:
    try:
        total = folder.number_of_sub_messages
        for index in range(folder.number_of_sub_folders):
            total += _count(folder.get_sub_folder(index))
    except OSError:
        return 0
    return total
