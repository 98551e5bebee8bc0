"""Shared helpers for container formats (ZIP, TNEF): member extraction with limits."""

from __future__ import annotations

import mimetypes

from .registry import Context, Extracted


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def add_member(name: str, data: bytes, ctx: Context, texts: list[str], members: list[str]) -> None:
    """Record member ``name`` and, within the depth limit, append its text.

    A failing member is recorded by name only: one bad entry must not lose the text
    of its siblings.
    """
    members.append(name)
    if ctx.depth + 1 > ctx.limits.max_depth or len(data) > ctx.limits.max_attachment_bytes:
        return
    try:
        sub = ctx.extract(data, guess_type(name), name, ctx.child())
    except Exception:  # member errors stay local to the member, see docstring
        return
    if sub.text:
        texts.append(f"{name}\n{sub.text}")
    members.extend(f"{name}/{m}" for m in sub.members)


def joined(texts: list[str], members: list[str]) -> Extracted:
    return Extracted(text="\n\n".join(texts), members=members)
