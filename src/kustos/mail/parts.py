"""MIME tree navigation with IMAP-style section numbers ("1", "2.1", "3.1.2").

Numbering follows RFC 3501 BODY[section]: the children of a multipart are 1..n;
a non-multipart message (top level or inside message/rfc822) has its body as part
1; the parts of a message/rfc822 part are numbered below that part's number.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32


class PartNotFound(LookupError):
    """The requested section number does not exist in the message."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no MIME part {path!r} in this message")


def join(prefix: str, number: int) -> str:
    return f"{prefix}.{number}" if prefix else str(number)


def message_children(msg: Message, prefix: str) -> Iterator[tuple[Message, str]]:
    """The numbered parts directly below a message (top level or encapsulated)."""
    payload = msg.get_payload()
    if msg.is_multipart() and isinstance(payload, list) and msg.get_content_maintype() == "multipart":
        for index, child in enumerate(payload, 1):
            yield child, join(prefix, index)
    else:
        yield msg, join(prefix, 1)


def encapsulated(part: Message) -> Message | None:
    """The message inside a message/rfc822 part (compat32 keeps it as a 1-list)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def parse_bytes(raw: bytes) -> Message:
    return BytesParser(policy=compat32).parsebytes(raw)


def find_part(msg: Message, path: str) -> Message:
    """The part at section ``path`` of ``msg``; raises PartNotFound."""
    try:
        numbers = [int(n) for n in path.split(".")]
    except ValueError:
        raise PartNotFound(path)
    if not numbers or min(numbers) < 1:
        raise PartNotFound(path)
    current: Message = msg
    is_message = True  # the current node is a message whose parts we number
    for number in numbers:
        if not is_message and current.get_content_type() == "message/rfc822":
            inner = encapsulated(current)
            if inner is None:
                raise PartNotFound(path)
            current, is_message = inner, True
        if is_message:
            children = list(message_children(current, ""))
            if number > len(children):
                raise PartNotFound(path)
            current = children[number - 1][0]
        else:
            payload = current.get_payload()
            if not isinstance(payload, list) or number > len(payload):
                raise PartNotFound(path)
            child = payload[number - 1]
            if not isinstance(child, Message):
                raise PartNotFound(path)
            current = child
        is_message = False
    return current


def part_bytes(part: Message) -> bytes:
    """Decoded content of a leaf part, or the bytes of an encapsulated message."""
    inner = encapsulated(part)
    if inner is not None and part.get_content_type() == "message/rfc822":
        return inner.as_bytes(policy=compat32)
    payload = part.get_payload()
    if isinstance(payload, list):  # e.g. message/delivery-status: header blocks
        return b"\n".join(p.as_bytes(policy=compat32) for p in payload if isinstance(p, Message))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def get_part(raw: bytes, part_path: str) -> bytes:
    """The decoded bytes of the part ``part_path`` (as in Attachment.part_path).

    Raises PartNotFound when the section does not exist.
    """
    return part_bytes(find_part(parse_bytes(raw), part_path))
