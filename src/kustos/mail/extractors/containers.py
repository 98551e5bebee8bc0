"""Shared helpers for container formats (ZIP, TNEF, Outlook items): member
extraction with limits, and the record of members whose text was not indexed."""

from __future__ import annotations

import mimetypes

from ..model import SkippedMember
from .registry import Context, Extracted, ExtractionError


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


class Members:
    """What one container yields: texts, member names, skipped members.

    Skipped members are listed one by one up to the member limit; beyond it they
    are counted into one entry per reason, so a container with countless entries
    cannot make the parse result itself large."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts: list[str] = []
        self.names: list[str] = []
        self.skipped: list[SkippedMember] = []
        self._folded: dict[str, int] = {}

    def skip(self, name: str, reason: str, count: int = 1) -> None:
        if name and count == 1 and len(self.skipped) < self.ctx.limits.max_zip_members:
            self.skipped.append(SkippedMember(name, reason))
        else:
            self._folded[reason] = self._folded.get(reason, 0) + count

    def add(self, name: str, data: bytes) -> None:
        """Record member ``name`` and, within the limits, append its text; a member
        that is not read says why in ``skipped``.

        A failing member is recorded by name and reason only: one bad entry must not
        lose the text of its siblings.
        """
        ctx = self.ctx
        self.names.append(name)
        if ctx.depth + 1 > ctx.limits.max_depth:
            self.skip(name, f"nested deeper than {ctx.limits.max_depth}")
            return
        if len(data) > ctx.limits.max_attachment_bytes:
            self.skip(name, f"larger than {ctx.limits.max_attachment_bytes} bytes")
            return
        ctype = guess_type(name)
        try:
            sub = ctx.extract(data, ctype, name, ctx.child())
        except ExtractionError as exc:
            self.skip(name, str(exc)[:200] or "not readable")
            return
        except Exception as exc:  # member errors stay local to the member, see docstring
            self.skip(name, f"extraction failed: {type(exc).__name__}")
            return
        if not sub.supported:
            self.skip(name, f"unsupported type {ctype}")
            return
        if sub.text:
            self.texts.append(f"{name}\n{sub.text}")
        self.names.extend(f"{name}/{m}" for m in sub.members)
        for inner in sub.skipped:
            self.skip(f"{name}/{inner.name}", inner.reason, inner.count)

    def result(self) -> Extracted:
        skipped = self.skipped + [
            SkippedMember(f"{n} further member{'s' if n != 1 else ''}", reason, n)
            for reason, n in self._folded.items()
        ]
        return Extracted(text="\n\n".join(self.texts), members=self.names, skipped=skipped)
