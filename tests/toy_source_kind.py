"""A toy source kind that exists only in tests: one module, registered by a fixture, never named in
``web/``, ``api/`` or ``cli/``. Its connector hands out one message per scope from memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kustos.sources.base import AuthenticationFailed, Batch, Item, Scope
from kustos.sources.kinds.fields import CHOICE, INT, PASSWORD, TEXT, Field, Kind

MESSAGE = (b"From: a@toy.example\r\nTo: b@kunde.example\r\nSubject: toy message\r\n"
           b"Message-ID: <toy-1@toy.example>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello from the toy\r\n")


class ToyConnector:
    name: ClassVar[str] = "toy"

    def __init__(self, config: dict[str, Any], secret: str, egress: Any) -> None:
        self.config, self.secret, self.egress = config, secret, egress

    def check(self) -> None:
        if self.secret != "good-token":
            raise AuthenticationFailed("toy: the token was refused")

    def scopes(self) -> list[Scope]:
        self.check()
        return [Scope(id="box-1", kind="mailbox", name="anna@kunde.example")]

    def fetch(self, scope: Scope, cursor: dict | None) -> Iterator[Batch]:
        if cursor is None:
            yield Batch(items=[Item(source_id="m1", data=MESSAGE, folder="Inbox")], next_cursor={"seen": 1})
        else:
            yield Batch(items=[], next_cursor=cursor)


KIND = Kind(
    name="toy", label="Toy Cloud", label_de="Spielzeug-Cloud", build=ToyConnector, services=("archive", "backup"),
    fields=(
        Field("region", TEXT, "Toy region", "Spielzeug-Region", required=True, secret_bound="region", summary=True,
              max_length=50),
        Field("flavour", CHOICE, "Toy flavour", "Spielzeug-Sorte", default="plain",
              choices=(("plain", "Plain", "Schlicht"), ("fancy", "Fancy", "Schick"))),
        Field("batch_size", INT, "Toy batch size", "Spielzeug-Stapelgröße", minimum=1, maximum=500),
        Field("token", PASSWORD, "Toy token", "Spielzeug-Token", required=True, noun="toy token"),
    ),
    description="A toy cloud for tests.", description_de="Eine Spielzeug-Cloud für Tests.",
    display_name=lambda config: f"toy {config.get('region', '')}",
)
