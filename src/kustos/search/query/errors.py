"""Errors raised while reading a query."""

from __future__ import annotations


class QuerySyntaxError(ValueError):
    """The query text is malformed. ``position`` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position
