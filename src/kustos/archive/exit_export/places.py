"""Where each message goes in the export: one file per mailbox and folder it was archived in.

A recipient opens the export like the mailboxes it came from: a message filed in two folders
is in both directories (the same bytes twice, one row each in ``index.csv``, both paths in its
proof). Mailbox and folder directory names are fixed for the whole run (``names``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from kustos.archive.exit_export import names
from kustos.archive.models import Folder, Message, MessageRef
from kustos.tenants.models import Customer

MAIL = "mail"
UNFILED = "_unfiled"


class Places:
    def __init__(self, customer: Customer):
        rows = list(Folder.objects.filter(mailbox__customer=customer).values_list("mailbox__address", "path"))
        boxes = sorted({a for a, _ in rows}
                       | set(customer.mailboxes.values_list("address", flat=True)))
        self.mailbox_dir = names.mailbox_dirs(boxes)
        per_box: dict[str, list[str]] = {}
        for address, path in rows:
            per_box.setdefault(address, []).append(path)
        self.folder_dir = {a: names.folder_dirs(sorted(paths)) for a, paths in per_box.items()}

    def refs(self, message_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """(mailbox, folder) pairs per message, sorted and without repeats."""
        out: dict[str, set[tuple[str, str]]] = {}
        for mid, box, folder in MessageRef.objects.filter(message_id__in=list(message_ids)).values_list(
                "message_id", "mailbox__address", "folder__path"):
            out.setdefault(mid, set()).add((box, folder))
        return {mid: sorted(pairs) for mid, pairs in out.items()}

    def file_name(self, m: Message) -> str:
        when = (m.date or m.archived_at)
        return names.message_file(m.id, when.astimezone(UTC) if when else None, m.kind)

    def paths(self, m: Message, pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """``(relative path, mailbox, folder)`` for every place of ``m``."""
        name = self.file_name(m)
        if not pairs:
            return [(f"{MAIL}/{UNFILED}/{name}", "", "")]
        out = []
        for box, folder in pairs:
            box_dir = self.mailbox_dir.get(box) or names.segment(box)
            folder_dir = self.folder_dir.get(box, {}).get(folder) or names.folder_dirs([folder])[folder]
            out.append((f"{MAIL}/{box_dir}/{folder_dir}/{name}", box, folder))
        return out

    @staticmethod
    def original_path(eml_path: str, m: Message) -> str:
        return eml_path.rsplit(".", 1)[0] + f".original.{(m.original_kind or 'bin').lower()}"
