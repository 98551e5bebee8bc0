"""Mail folder tree of one mailbox, with each folder's ``/``-separated display path."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kustos.sources.http import iter_link_pages


@dataclass(frozen=True)
class MailFolder:
    """A folder to read: ``mailbox`` (a user id or an archive's ``MBX:`` id; empty: the scope's
    mailbox) under the Graph root ``base`` (empty: the connector's v1.0 root); ``key`` names it
    in the cursor (empty: its id)."""

    id: str
    path: str
    mailbox: str = ""
    base: str = ""
    key: str = ""

    @property
    def cursor_key(self) -> str:
        return self.key or self.id


def walk_folders(get_json: Callable[[str], Mapping[str, Any]], base: str, user_id: str) -> Iterator[MailFolder]:
    """Depth-first over ``mailFolders`` and their ``childFolders`` (hidden folders included).

    ``base`` is the Graph root (``https://graph.microsoft.com/v1.0``). The path is the
    parent chain of display names, so a folder's archive location survives renames of
    nothing but itself.
    """
    user = quote(user_id, safe="")
    top = f"{base}/users/{user}/mailFolders?includeHiddenFolders=true&$top=100"
    stack: list[tuple[str, str]] = [(top, "")]
    while stack:
        url, prefix = stack.pop()
        for page in iter_link_pages(get_json, url):
            for row in page.get("value", []):
                path = f"{prefix}/{row['displayName']}" if prefix else str(row["displayName"])
                yield MailFolder(str(row["id"]), path)
                if row.get("childFolderCount", 0):
                    child = quote(str(row["id"]), safe="")
                    stack.append((f"{base}/users/{user}/mailFolders/{child}/childFolders"
                                  f"?includeHiddenFolders=true&$top=100", path))
