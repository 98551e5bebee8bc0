"""Attached RFC 822 messages (.eml, message/rfc822 sent as a file)."""

from __future__ import annotations

from .registry import Context, Extracted


class MessageExtractor:
    """Delegates to the mail parser through ``ctx.parse_message``."""

    name = "rfc822"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return ctx.parse_message(data, ctx)
