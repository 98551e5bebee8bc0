"""Change-logged collections: what every Graph delta function enumerates.

A :class:`Feed` holds the current objects of one delta scope (a drive, a list, a
channel, a calendar, a contact folder, a To Do list) and a log of changed ids with a
monotonic sequence. A delta round is a log range ``(since, upto]``, so ``nextLink``
paging stays stable while data changes and ``deltaLink`` increments are exact.
``epoch`` is bumped to invalidate every token handed out for the feed (410).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fakecloud.tokens import new_id


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Feed:
    key: str = field(default_factory=lambda: new_id(9))
    items: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[int, str]] = field(default_factory=list)
    seq: int = 0
    epoch: int = 0
    invalid_code: str = "SyncStateNotFound"
    _range: tuple[int, int, list[str]] = field(default=(-1, -1, []), repr=False)

    def touch(self, item_id: str) -> None:
        self.seq += 1
        self.log.append((self.seq, item_id))

    def put(self, item_id: str, item: Any) -> None:
        self.items[item_id] = item
        self.touch(item_id)

    def remove(self, item_id: str) -> Any:
        item = self.items.pop(item_id)
        self.touch(item_id)
        return item

    def invalidate(self, code: str) -> None:
        self.epoch += 1
        self.invalid_code = code

    def ids(self, since: int, upto: int) -> list[str]:
        """Ids changed in ``(since, upto]``, first change first; an initial round (``since == 0``) leaves out
        what was already deleted. Computed once per range, so paging through a big round stays cheap and
        its offsets stay stable while the data changes; callers read each id's current state."""
        if self._range[:2] != (since, upto):
            ids = list(dict.fromkeys(item_id for _seq, item_id in self.log[since:upto]))  # log[k] has seq k + 1
            if since == 0:
                ids = [item_id for item_id in ids if item_id in self.items]
            self._range = (since, upto, ids)
        return self._range[2]


@dataclass
class Entity:
    """A Graph resource held as its JSON properties plus the bytes it was stored from.

    ``content`` is the item's natural form (ICS, VCF, JSON, HTML) that ``/_fakecloud/items``
    hashes; ``owner`` is the account that created it (for the control API's filters).
    """

    id: str
    props: dict[str, Any]
    content: bytes
    owner: str = ""
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
