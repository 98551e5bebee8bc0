"""Shared meaning of ``folder:`` values, so both backends match the same documents.

A folder value whose first path segment contains ``@`` is a full path
(``alice@x.de/inbox/sub``); anything else is relative to a mailbox (``inbox/sub``). A
relative value asked by a user limited to some mailboxes expands to full paths under
exactly those mailboxes, so a deduplicated message is not found through another
user's folder.
"""

from __future__ import annotations

from kustos.search.analysis import fold_keyword


def is_full_path(value: str) -> bool:
    return "@" in value.split("/", 1)[0]


def relative_path(folder: str) -> str:
    """``alice@x.de/INBOX/Sub`` -> ``inbox/sub`` (folded); a path without mailbox stays as is."""
    folded = fold_keyword(folder).strip("/")
    head, _, rest = folded.partition("/")
    return rest if "@" in head else folded


def full_path(folder: str) -> str:
    return fold_keyword(folder).strip("/")


def expand(value: str, allowed: list[str] | None) -> tuple[str, list[str]]:
    """Where to look for ``value``: ("full", paths) or ("relative", [value]); no paths = no match."""
    if is_full_path(value):
        # A user limited to some mailboxes must not probe other mailboxes' folders.
        if allowed is not None and value.split("/", 1)[0] not in allowed:
            return "full", []
        return "full", [value]
    if allowed is None:
        return "relative", [value]
    return "full", [f"{mailbox}/{value}" for mailbox in allowed]


def visible_mailbox_values(value: str, prefix: bool, allowed: list[str] | None) -> list[str]:
    """The mailbox keys ``mailbox:value`` may match for a requester limited to ``allowed``.

    A mailbox outside ``allowed`` matches nothing, exactly like an address that does not
    exist, so ``mailbox:`` cannot probe which other mailboxes hold a visible message. With a
    limit, a prefix is expanded here to the allowed mailboxes it matches (exact values).
    """
    if allowed is None:
        return [value]
    if prefix:
        return [m for m in allowed if m.startswith(value)]
    return [value] if value in allowed else []
