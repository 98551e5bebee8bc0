"""ZIP archives: member names always, member text recursively within the limits.

Bomb guards (all from Limits, shared by nested archives through ``ctx.shared``): at
most ``max_zip_members`` entries are looked at and at most ``max_zip_total_bytes``
uncompressed bytes are read per top-level attachment; a member whose
declared size/compressed size ratio exceeds ``max_zip_ratio`` is skipped, and every
read is bounded by the bytes still allowed (declared sizes can lie), so a bomb costs
at most the byte budget, never memory or time beyond it.
"""

from __future__ import annotations

import io
import struct
import zipfile

from .containers import add_member, joined
from .registry import Context, Extracted, ExtractionError

_SMALL = 1024 * 1024  # below this, a high ratio is harmless (e.g. a text of spaces)
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def local_header_names(data: bytes, limit: int) -> list[str]:
    """Member names from local file headers, for archives whose central directory
    is missing (truncated downloads, some malware droppers)."""
    names: list[str] = []
    pos = data.find(b"PK\x03\x04")
    while pos != -1 and len(names) < limit and pos + _LOCAL_HEADER.size <= len(data):
        fields = _LOCAL_HEADER.unpack_from(data, pos)
        flags, name_len = fields[2], fields[9]
        raw = data[pos + _LOCAL_HEADER.size : pos + _LOCAL_HEADER.size + name_len]
        names.append(raw.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
        pos = data.find(b"PK\x03\x04", pos + _LOCAL_HEADER.size + name_len)
    return [n for n in names if n and not n.endswith("/")]


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile decoded it as cp437
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


class ZipExtractor:
    name = "zip"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            names = local_header_names(data, ctx.limits.max_zip_members)
            if names:
                return Extracted(text="\n".join(names), members=names)
            raise ExtractionError(f"not a readable ZIP archive: {exc}") from exc
        limits = ctx.limits
        shared = ctx.shared
        texts: list[str] = []
        members: list[str] = []
        infos = archive.infolist()
        for index, info in enumerate(infos):
            ctx.budget.check()
            if shared.members <= 0:
                texts.append(f"[{len(infos) - index} more members not read]")
                break
            shared.members -= 1
            if info.is_dir():
                continue
            name = _member_name(info)
            ratio = info.file_size / max(info.compress_size, 1)
            readable = (
                not info.flag_bits & 0x1  # encrypted
                and shared.zip_bytes > 0
                and not (info.file_size > _SMALL and ratio > limits.max_zip_ratio)
                and ctx.depth + 1 <= limits.max_depth
            )
            if not readable:
                members.append(name)
                continue
            try:
                with archive.open(info) as handle:
                    body = handle.read(min(shared.zip_bytes, limits.max_attachment_bytes))
            except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, RuntimeError):
                members.append(name)
                continue
            shared.zip_bytes -= len(body)
            add_member(name, body, ctx, texts, members)
        return joined(texts, members)
