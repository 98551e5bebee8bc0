"""Optional clean-up: delete messages on the server once archived and verified.

Only messages the caller names (source ids ``"<uidvalidity>:<uid>"`` as produced by
:class:`~kustos.sources.imap.connector.ImapConnector`,
which exposes this as ``ImapConnector.expunge_older_than``, i.e. messages whose bytes are
stored and verified in the archive) are touched, only when the folder's UIDVALIDITY
still matches (otherwise the UIDs mean other messages) and only with ``UID EXPUNGE``
(UIDPLUS), which removes exactly those UIDs; a plain ``EXPUNGE`` would also remove
messages the user flagged \\Deleted that were never archived, so without UIDPLUS
nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from imapclient.exceptions import IMAPClientError

from kustos.sources.base import ConnectorError
from kustos.sources.imap.connection import ImapSettings, session, translate_network_error
from kustos.sources.imap.uidset import encode_uids


class ExpungeUnsupported(ConnectorError):
    """The server cannot delete exactly the named messages (no UIDPLUS)."""


def _uids_for(uidvalidity: int, source_ids: Iterable[str]) -> set[int]:
    uids: set[int] = set()
    for source_id in source_ids:
        validity, _, uid = str(source_id).partition(":")
        if validity.isdigit() and uid.isdigit() and int(validity) == uidvalidity:
            uids.add(int(uid))
    return uids


def expunge_older_than(
    settings: ImapSettings,
    folder: str,
    uids_verified: Iterable[str],
    days: int,
    now: datetime | None = None,
) -> list[str]:
    """Delete verified messages of ``folder`` (raw name = Scope.id) older than ``days``.

    Age is the server's INTERNALDATE (when the server received the message). A
    caller that wants "N days after archiving" passes only ids archived at least N
    days ago and ``days=0``. Returns the source ids that were expunged.
    """
    where = f"{settings.host}:{settings.port}"
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    try:
        with session(settings) as client:
            if not client.has_capability("UIDPLUS"):
                raise ExpungeUnsupported(
                    f"{where} lacks UIDPLUS; refusing to expunge (it could remove unarchived mail)"
                )
            status = client.select_folder(folder, readonly=False)
            uidvalidity = int(status[b"UIDVALIDITY"])
            candidates = _uids_for(uidvalidity, uids_verified)
            if not candidates:
                return []
            dates = client.fetch(sorted(candidates), ["INTERNALDATE"])
            old = sorted(
                uid for uid, data in dates.items()
                if _aware(data[b"INTERNALDATE"]) <= cutoff
            )
            if old:
                client.add_flags(old, [b"\\Deleted"], silent=True)
                client.uid_expunge(encode_uids(old))
            return [f"{uidvalidity}:{uid}" for uid in old]
    except ConnectorError:
        raise
    except (OSError, EOFError, IMAPClientError) as exc:
        raise translate_network_error(exc, where)


def _aware(value: datetime) -> datetime:
    # imapclient normalises INTERNALDATE to naive local time; make it comparable.
    return value.astimezone(UTC) if value.tzinfo is None else value
