"""The extractor protocol and the registry that picks one per attachment.

Modelled on paperless-ngx's parser registry: each format module provides an object
implementing :class:`Extractor`, registered for MIME types and file extensions.
Lookup order: exact MIME type, then file extension, then magic bytes (for the many
attachments sent as application/octet-stream).

Built-in extractors are registered as :class:`LazyExtractor`: the registry knows each one's
formats, but its module (and the heavy library behind it: pypdf, openpyxl, python-docx, ...)
is imported only when the first attachment of that format is extracted, or all at once by
:meth:`Registry.preload` (the parse workers' fork server does that, so workers share them).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..deadline import Budget
from ..limits import Limits
from ..model import SkippedMember


class ExtractionError(Exception):
    """An extractor could not read its input; the message is a short reason."""


@dataclass
class Extracted:
    """Text and, for containers, the names of members found inside and the members
    whose text was not indexed (with the reason). ``supported`` is False when no
    extractor exists for the format (set by the dispatcher, not by extractors)."""

    text: str = ""
    members: list[str] = field(default_factory=list)
    skipped: list[SkippedMember] = field(default_factory=list)
    supported: bool = True


@dataclass
class Allowance:
    """Budgets shared by one attachment and everything nested inside it, so a
    ZIP-of-ZIPs cannot multiply them level by level."""

    zip_bytes: int
    members: int


@dataclass
class Context:
    """What an extractor may use besides its input bytes.

    ``extract`` recursively extracts a member (ZIP entry, TNEF attachment) through
    the same registry; ``parse_message`` turns raw RFC 822 bytes into indexable text
    (supplied by the parser, so extractors do not import it). ``depth`` counts
    nesting levels already entered; ``allowance`` is shared with child contexts.
    """

    limits: Limits
    budget: Budget
    depth: int
    extract: Callable[[bytes, str, str, Context], Extracted]
    parse_message: Callable[[bytes, Context], Extracted]
    allowance: Allowance | None = None

    def __post_init__(self) -> None:
        if self.allowance is None:
            self.allowance = Allowance(self.limits.max_zip_total_bytes, self.limits.max_zip_members)

    @property
    def shared(self) -> Allowance:
        assert self.allowance is not None  # set in __post_init__
        return self.allowance

    def child(self) -> Context:
        return Context(
            self.limits, self.budget, self.depth + 1, self.extract, self.parse_message, self.allowance
        )


class Extractor(Protocol):
    """Turns the bytes of one attachment into text. May raise ExtractionError
    (or anything else: the caller records it as ``extract_error``)."""

    name: str

    def extract(self, data: bytes, ctx: Context) -> Extracted: ...


class LazyExtractor:
    """An extractor given by module and class name, imported and instantiated on first use.

    The import runs in a short-lived helper thread that the caller joins: an extraction time
    budget expiring meanwhile interrupts only the wait (the attachment times out as usual),
    never the import itself, so no library is left half-imported."""

    def __init__(self, name: str, module: str, attr: str, package: str | None = __package__) -> None:
        self.name = name
        self.module = module
        self.attr = attr
        self.package = package
        self._loaded: Extractor | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = "loaded" if self._loaded is not None else "not loaded"
        return f"<LazyExtractor {self.name}: {self.module}.{self.attr}, {state}>"

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self) -> Extractor:
        """The real extractor, importing its module the first time."""
        if self._loaded is None:
            loader = threading.Thread(target=self._import, name=f"kustos-load-{self.name}", daemon=True)
            loader.start()
            loader.join()
            if self._loaded is None:
                error, self._error = self._error, None
                raise ExtractionError(f"extractor {self.name} unavailable: {error!r}") from error
        return self._loaded

    def _import(self) -> None:
        try:
            module = importlib.import_module(self.module, self.package)
            extractor: Extractor = getattr(module, self.attr)()
        except Exception as exc:  # reported to the caller of load()
            self._error = exc
            return
        self._loaded = extractor

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return self.load().extract(data, ctx)


@dataclass
class Registry:
    by_type: dict[str, Extractor] = field(default_factory=dict)
    by_ext: dict[str, Extractor] = field(default_factory=dict)
    by_magic: list[tuple[bytes, Extractor]] = field(default_factory=list)
    by_prefix: list[tuple[str, Extractor]] = field(default_factory=list)

    def register(
        self,
        extractor: Extractor,
        content_types: tuple[str, ...] = (),
        extensions: tuple[str, ...] = (),
        magic: tuple[bytes, ...] = (),
        prefixes: tuple[str, ...] = (),
    ) -> None:
        """Register ``extractor`` for MIME types, extensions, leading magic bytes and
        MIME type prefixes (fallback, e.g. "text/"); later registrations win."""
        for ctype in content_types:
            self.by_type[ctype.lower()] = extractor
        for ext in extensions:
            self.by_ext[ext.lower().lstrip(".")] = extractor
        for lead in magic:
            self.by_magic.append((lead, extractor))
        for prefix in prefixes:
            self.by_prefix.append((prefix.lower(), extractor))

    def find(self, content_type: str, filename: str, data: bytes = b"") -> Extractor | None:
        """The extractor for this attachment, or None when the format has no text."""
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        # Extension first for generic or container types: a .docx is a ZIP, an .eml
        # often arrives as application/octet-stream or text/plain.
        by_ext = self.by_ext.get(ext)
        ctype = content_type.lower()
        if by_ext is not None and (ctype in _GENERIC or ctype not in self.by_type):
            return by_ext
        found = self.by_type.get(ctype)
        if found is not None:
            return found
        if by_ext is not None:
            return by_ext
        for magic, extractor in self.by_magic:
            if data.startswith(magic):
                return extractor
        for prefix, extractor in self.by_prefix:
            if ctype.startswith(prefix):
                return extractor
        return None

    def extractors(self) -> list[Extractor]:
        """Every registered extractor, each once."""
        found: dict[int, Extractor] = {}
        for extractor in (
            *self.by_type.values(),
            *self.by_ext.values(),
            *(e for _, e in self.by_magic),
            *(e for _, e in self.by_prefix),
        ):
            found.setdefault(id(extractor), extractor)
        return list(found.values())

    def preload(self, names: tuple[str, ...] | None = None) -> None:
        """Import the lazily registered extractors now (those named in ``names``, or all)."""
        for extractor in self.extractors():
            if isinstance(extractor, LazyExtractor) and (names is None or extractor.name in names):
                extractor.load()


_GENERIC = {
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "application/x-msdownload",
    "application/binary",
    "application/unknown",
    "text/plain",
}
