"""Every folder a mailbox holds: the primary mailbox, its Recoverable Items, the In-Place Archive.

* The primary mailbox: its folder tree (hidden folders included) as before.
* Recoverable Items: Deletions, Purges and Versions, reached by their well-known names (they are
  not below the mailbox root), archived under ``Recoverable Items/<name>``.
* The In-Place Archive: ``GET /beta/users/{id}/settings/exchange`` gives
  ``inPlaceArchiveMailboxId`` (``MBX:<guid>@<tenant guid>``); the archive is read like a mailbox
  through ``/beta/users/MBX:…/mailFolders`` and its folders' message delta, under one top folder
  (``archive_folder``, a fixed name per source, "Online Archive" by default), its own Recoverable
  Items below that. Cursor keys of archive folders are ``archive:<folder id>``. Expanded folders
  (content in an auxiliary archive) answer 308; :class:`GraphRedirects` follows those to the Graph
  host only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.graph.folders import MailFolder, walk_folders
from kustos.sources.graph.redirects import GraphRedirects

log = logging.getLogger(__name__)

ARCHIVE_FOLDER = "Online Archive"
RECOVERABLE_FOLDER = "Recoverable Items"
RECOVERABLE = (("recoverableitemsdeletions", "Deletions"), ("recoverableitemspurges", "Purges"),
               ("recoverableitemsversions", "Versions"))
# Answers of settings/exchange that mean "no archive information here" (not a failure of the run):
# a cloud or tenant without the beta endpoint, a mailbox hosted on-premises.
NO_ARCHIVE_INFO = (400, 404, 501)


def recoverable_folders(follow: GraphRedirects, base: str, mailbox: str, key: str, prefix: str = "",
                        key_prefix: str = "") -> list[MailFolder]:
    """Deletions, Purges and Versions of ``mailbox`` (those it has: a 404 skips one)."""
    out = []
    for well_known, name in RECOVERABLE:
        response = follow.request("GET", f"{base}/users/{quote(mailbox, safe='')}/mailFolders/{well_known}",
                                  key=key)
        if response.status_code == 404:
            continue
        folder_id = str(follow.expect(response).json()["id"])
        out.append(MailFolder(folder_id, f"{prefix}{RECOVERABLE_FOLDER}/{name}", mailbox, base,
                              f"{key_prefix}{folder_id}" if key_prefix else ""))
    return out


def archive_mailbox_id(follow: GraphRedirects, beta: str, user_id: str) -> str | None:
    """The user's ``inPlaceArchiveMailboxId``, None without an archive (or without the beta API)."""
    response = follow.request("GET", f"{beta}/users/{quote(user_id, safe='')}/settings/exchange", key=user_id)
    if response.status_code in NO_ARCHIVE_INFO:
        log.info("no Exchange settings for mailbox %s (HTTP %s); reading no archive", user_id,
                 response.status_code)
        return None
    body = follow.expect(response).json()
    rows = body.get("value") if isinstance(body.get("value"), list) else [body]
    for row in rows:
        archive = row.get("inPlaceArchiveMailboxId") if isinstance(row, dict) else None
        if archive:
            return str(archive)
    return None


def mailbox_folders(follow: GraphRedirects, base: str, beta: str, user_id: str, *, archive: bool,
                    recoverable: bool, archive_folder: str = ARCHIVE_FOLDER) -> list[MailFolder]:
    def get(url: str) -> Mapping[str, Any]:
        result: Mapping[str, Any] = follow.get_json(url, key=user_id)
        return result

    folders = list(walk_folders(get, base, user_id))
    if recoverable:
        folders += recoverable_folders(follow, base, user_id, user_id)
    archive_id = archive_mailbox_id(follow, beta, user_id) if archive else None
    if archive_id:
        top = archive_folder.strip("/") or ARCHIVE_FOLDER
        folders += [MailFolder(f.id, f"{top}/{f.path}", archive_id, beta, f"archive:{f.id}")
                    for f in walk_folders(get, beta, archive_id)]
        if recoverable:
            folders += recoverable_folders(follow, beta, archive_id, user_id, f"{top}/", "archive:")
    return folders
