"""ZIP archives: member names always, member text recursively within the limits.

Bomb guards (all from Limits, shared by nested archives through ``ctx.shared``): at
most ``max_zip_members`` entries are looked at and at most ``max_zip_total_bytes``
uncompressed bytes are read per top-level attachment; a member whose
declared size/compressed size ratio exceeds ``max_zip_ratio`` is skipped, and every
read is bounded by the bytes still allowed (declared sizes can lie), so a bomb costs
at most the byte budget, never memory or time beyond it.

Every member that is not read (encrypted, ratio bomb, declared larger than
``max_attachment_bytes``, nested too deep, byte budget used up, member limit
reached, unreadable, or failing in its own extractor) is reported in
``Extracted.skipped`` with the reason; the parser turns that into the
attachment's ``skipped`` list and ``extract_error`` line.
"""

from __future__ import annotations

import io
import struct
import zipfile

from .containers import Members
from .registry import Context, Extracted, ExtractionError

_SMALL = 1024 * 1024  # below this, a high ratio is harmless (e.g. a text of spaces)
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def local_entries(data: bytes, limit: int) -> list[tuple[str, int]]:
    """(name, general purpose flags) of each member from local file headers, for
    archives whose central directory is missing (truncated downloads, some malware
    droppers)."""
    entries: list[tuple[str, int]] = []
    pos = data.find(b"PK\x03\x04")
    while pos != -1 and len(entries) < limit and pos + _LOCAL_HEADER.size <= len(data):
        fields = _LOCAL_HEADER.unpack_from(data, pos)
        flags, name_len = fields[2], fields[9]
        raw = data[pos + _LOCAL_HEADER.size : pos + _LOCAL_HEADER.size + name_len]
        entries.append((raw.decode("utf-8" if flags & 0x800 else "cp437", "replace"), flags))
        pos = data.find(b"PK\x03\x04", pos + _LOCAL_HEADER.size + name_len)
    return [(n, f) for n, f in entries if n and not n.endswith("/")]


def local_header_names(data: bytes, limit: int) -> list[str]:
    """Member names from local file headers (see :func:`local_entries`)."""
    return [name for name, _flags in local_entries(data, limit)]


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
            entries = local_entries(data, ctx.limits.max_zip_members)
            if entries:
                found = Members(ctx)
                for name, flags in entries:
                    found.names.append(name)
                    found.skip(name, "encrypted" if flags & 0x1 else "archive damaged (no central directory)")
                found.texts.append("\n".join(found.names))
                return found.result()
            raise ExtractionError(f"not a readable ZIP archive: {exc}") from exc
        found = Members(ctx)
        infos = archive.infolist()
        for index, info in enumerate(infos):
            ctx.budget.check()
            if ctx.shared.members <= 0:
                rest = [i for i in infos[index:] if not i.is_dir()]
                for other in rest[: ctx.limits.max_zip_members]:  # named in ``skipped`` only
                    found.skip(_member_name(other), _LIMIT.format(ctx.limits.max_zip_members))
                if len(rest) > ctx.limits.max_zip_members:
                    found.skip("", _LIMIT.format(ctx.limits.max_zip_members), len(rest) - ctx.limits.max_zip_members)
                break
            ctx.shared.members -= 1
            if info.is_dir():
                continue
            name = _member_name(info)
            reason = _unreadable(info, ctx)
            if reason:
                found.names.append(name)
                found.skip(name, reason)
                continue
            try:
                with archive.open(info) as handle:
                    body = handle.read(min(ctx.shared.zip_bytes, ctx.limits.max_attachment_bytes))
            except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, RuntimeError) as exc:
                found.names.append(name)
                found.skip(name, f"not readable: {type(exc).__name__}")
                continue
            ctx.shared.zip_bytes -= len(body)
            found.add(name, body)
        return found.result()


_LIMIT = "member limit of {} reached"


def _unreadable(info: zipfile.ZipInfo, ctx: Context) -> str:
    """Why member ``info`` is not read, or "" when it is."""
    limits = ctx.limits
    if info.flag_bits & 0x1:
        return "encrypted"
    if ctx.depth + 1 > limits.max_depth:
        return f"nested deeper than {limits.max_depth}"
    if info.file_size > _SMALL and info.file_size / max(info.compress_size, 1) > limits.max_zip_ratio:
        return f"compression ratio above {limits.max_zip_ratio}:1 (possible ZIP bomb)"
    if info.file_size > limits.max_attachment_bytes:
        return f"larger than {limits.max_attachment_bytes} bytes"
    if ctx.shared.zip_bytes <= 0:
        return f"archive byte budget of {limits.max_zip_total_bytes} bytes used up"
    return ""
