"""Property: writing messages as mboxrd and reading them back gives the same bytes."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.sources.files.mbox_split import iter_mbox

_LINE = st.one_of(
    st.sampled_from(
        [b"", b"From me", b"From me Mon Jan  1 10:00:00 2024", b">From x", b">>From y", b" folded"]
    ),
    st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
)
_MESSAGE = st.lists(_LINE, max_size=12).map(
    lambda body: b"Subject: s\nX-Seq: 1\n\n" + b"".join(line + b"\n" for line in body)
)


def _mboxrd(messages: list[bytes]) -> bytes:
    out = b""
    for msg in messages:
        quoted = re.sub(rb"(?m)^(>*From )", rb">\1", msg)
        out += b"From sender@example.org Mon Jan  1 10:00:00 2024\n" + quoted + b"\n"
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(_MESSAGE, min_size=1, max_size=5))
def test_mboxrd_round_trip(messages: list[bytes]) -> None:
    got = [m.raw for m in iter_mbox(io.BytesIO(_mboxrd(messages)))]
    assert got == messages
