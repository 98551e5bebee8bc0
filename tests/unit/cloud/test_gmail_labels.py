"""Gmail labels to archive folders."""

from __future__ import annotations

import pytest

from kustos.sources.gmail.labels import Label, folder_for, label_names

LABELS = {
    "INBOX": Label("INBOX", "INBOX", True),
    "SENT": Label("SENT", "SENT", True),
    "SPAM": Label("SPAM", "SPAM", True),
    "TRASH": Label("TRASH", "TRASH", True),
    "UNREAD": Label("UNREAD", "UNREAD", True),
    "Label_1": Label("Label_1", "Clients/ACME", False),
    "Label_2": Label("Label_2", "Receipts", False),
}


@pytest.mark.parametrize(("label_ids", "folder"), [
    (["UNREAD", "INBOX"], "INBOX"),
    (["INBOX", "Label_2", "Label_1"], "Receipts"),
    (["SENT"], "Sent"),
    (["SPAM", "UNREAD"], "Spam"),
    (["TRASH"], "Trash"),
    (["UNREAD"], "All Mail"),
    ([], "All Mail"),
    (["Label_404"], "All Mail"),
])
def test_folder_for(label_ids: list[str], folder: str) -> None:
    assert folder_for(label_ids, LABELS) == folder


def test_label_names_keep_unknown_ids() -> None:
    assert label_names(["Label_1", "INBOX", "Label_404"], LABELS) == ["Clients/ACME", "INBOX", "Label_404"]
