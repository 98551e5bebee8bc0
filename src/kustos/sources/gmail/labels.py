"""Gmail labels to archive folders: one folder per message, all labels kept as metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Precedence when a message carries no user label; the archive sees IMAP-like names.
SYSTEM_FOLDERS = (("INBOX", "INBOX"), ("SENT", "Sent"), ("DRAFT", "Drafts"), ("SPAM", "Spam"),
                  ("TRASH", "Trash"))
ARCHIVED = "All Mail"  # no folder-like label: Gmail's "archived" state


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    system: bool


def folder_for(label_ids: list[str], labels: Mapping[str, Label]) -> str:
    """The first user label (in the message's order), else the first system folder, else ``All Mail``."""
    for label_id in label_ids:
        label = labels.get(label_id)
        if label is not None and not label.system:
            return label.name
    present = set(label_ids)
    for label_id, folder in SYSTEM_FOLDERS:
        if label_id in present:
            return folder
    return ARCHIVED


def label_names(label_ids: list[str], labels: Mapping[str, Label]) -> list[str]:
    return [labels[label_id].name if label_id in labels else label_id for label_id in label_ids]
