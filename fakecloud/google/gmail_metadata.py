"""``messages.get`` with ``format=metadata``: the message's headers as the top-level ``MessagePart``.

As documented: "Returns only email message ID, labels, and email headers"; ``metadataHeaders``
(repeated) keeps only the named headers (case-insensitive), in the message's order.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Sequence
from typing import Any


def metadata_payload(raw: bytes, wanted: Sequence[str]) -> dict[str, Any]:
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    names = {name.lower() for name in wanted}
    headers = [{"name": name, "value": str(value)} for name, value in parsed.items()
               if not names or name.lower() in names]
    return {"partId": "", "mimeType": parsed.get_content_type(), "filename": "", "headers": headers}
