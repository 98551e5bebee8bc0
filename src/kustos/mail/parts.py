"""MIME tree navigation with IMAP-style section numbers ("1", "2.1", "3.1.2").

Numbering follows RFC 3501 BODY[section]: the children of a multipart are 1..n;
a non-multipart message (top level or inside message/rfc822) has its body as part
1; the parts of a message/rfc822 part are numbered below that part's number.
"""

from __future__ import annotations

from collections.abc import Iterator

from .limits import Limits
from .mime import Part, parse_tree


class PartNotFound(LookupError):
    """The requested section number does not exist in the message."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no MIME part {path!r} in this message")


def join(prefix: str, number: int) -> str:
    return f"{prefix}.{number}" if prefix else str(number)


def message_children(msg: Part, prefix: str) -> Iterator[tuple[Part, str]]:
    """The numbered parts directly below a message (top level or encapsulated)."""
    if msg.children is not None:
        for index, child in enumerate(msg.children, 1):
            yield child, join(prefix, index)
    else:
        yield msg, join(prefix, 1)


def find_part(msg: Part, path: str) -> Part:
    """The part at section ``path`` of ``msg``; raises PartNotFound."""
    try:
        numbers = [int(n) for n in path.split(".")]
    except ValueError:
        raise PartNotFound(path)
    if not numbers or min(numbers) < 1:
        raise PartNotFound(path)
    current = msg
    is_message = True  # the current node is a message whose parts we number
    for number in numbers:
        if not is_message and current.message is not None:
            current, is_message = current.message, True
        if is_message:
            children = list(message_children(current, ""))
        elif current.children is not None:
            children = [(c, "") for c in current.children]
        else:
            raise PartNotFound(path)
        if number > len(children):
            raise PartNotFound(path)
        current = children[number - 1][0]
        is_message = False
    return current


def part_bytes(part: Part) -> bytes:
    """Decoded content of a part; for message/rfc822 the encapsulated message's
    exact bytes; for a multipart its raw body."""
    return part.decoded() if part.children is None else bytes(part.body_view())


def get_part(raw: bytes, part_path: str, limits: Limits | None = None) -> bytes:
    """The decoded bytes of the part ``part_path`` (as in Attachment.part_path).

    Pass the ``limits`` the message was parsed with (they decide where parsing
    stopped, hence the numbering). Raises PartNotFound when the section does not exist.
    """
    return part_bytes(find_part(parse_tree(raw, limits)[0], part_path))
