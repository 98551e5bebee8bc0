"""The change set of one account between two snapshots: what the detector reads.

A rename is a deletion plus an addition in a snapshot diff; :meth:`ChangeSet.build` pairs
them (same folder, the new name extends the old one or keeps its stem) into one modification
with ``previous_path``, so a ransomware run that rewrites and renames every file counts as
mass modification with an extension change, not as a mass deletion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from kustos.backupguard.filetypes import dir_of, extension, name_of, stem

OPS = ("added", "modified", "deleted")
NON_FILES = frozenset({"folder", "account"})
# Items that are records (JSON of an API resource), not files: their names carry no extension a
# user chose and their content is no document, so renames, extensions and entropy say nothing.
RECORDS = frozenset({"record", "event", "contact", "task"})


@dataclass(frozen=True)
class Change:
    """One item that was added, modified or deleted.

    ``entropy``/``sample_size``: the new content's bits per byte and how many bytes that was
    measured on (added/modified; see :class:`~kustos.backupguard.entropy.EntropyEstimator`).
    ``previous_entropy``: the same for the version before, when known (a sink can keep it in
    the item's metadata). ``previous_path``: the old path of a renamed item."""

    op: str
    path: str
    kind: str = "file"
    size: int = 0
    entropy: float | None = None
    sample_size: int = 0
    previous_entropy: float | None = None
    previous_path: str | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"invalid change op {self.op!r}: use one of {', '.join(OPS)}")
        if not isinstance(self.path, str) or not self.path.strip("/"):
            raise ValueError(f"invalid change path {self.path!r}: a non-empty path")
        if self.size < 0 or self.sample_size < 0:
            raise ValueError(f"invalid change of {self.path!r}: negative size")
        for value in (self.entropy, self.previous_entropy):
            if value is not None and not 0.0 <= value <= 8.0:
                raise ValueError(f"invalid entropy {value!r} of {self.path!r}: bits per byte lie in 0..8")

    @property
    def name(self) -> str:
        return name_of(self.path)

    @property
    def extension(self) -> str:
        return extension(self.path)

    @property
    def previous_extension(self) -> str:
        return extension(self.previous_path) if self.previous_path else self.extension

    @property
    def renamed(self) -> bool:
        return self.previous_path is not None and self.previous_path != self.path

    @property
    def is_file(self) -> bool:
        return self.kind not in NON_FILES

    @property
    def is_record(self) -> bool:
        return self.kind in RECORDS

    @property
    def part(self) -> str:
        """The top-level folder of the path (``""`` for an item at the account's root)."""
        head, sep, _ = self.path.strip("/").partition("/")
        return head if sep else ""


@dataclass(frozen=True)
class ChangeSet:
    """The changes of one ``account`` in one run; ``files_before``: the account's item count
    in the previous snapshot (the denominator of every rate). ``part``: the top-level folder this
    set is limited to (a Salesforce object), ``""`` for the whole account; ``unit`` names what is
    counted in findings (``files``, ``records``)."""

    account: str
    files_before: int
    changes: tuple[Change, ...] = field(default_factory=tuple)
    part: str = ""
    unit: str = "files"

    def __post_init__(self) -> None:
        if self.files_before < 0:
            raise ValueError(f"invalid files_before {self.files_before} for account {self.account!r}")

    @classmethod
    def build(cls, account: str, files_before: int, changes: Iterable[Change], pair_renames: bool = True) -> ChangeSet:
        """A change set of file items (folders are left out), renames paired (records never are:
        a record keeps its id, a deleted and an added record are two records)."""
        files = [c for c in changes if c.is_file]
        if not pair_renames:
            return cls(account, files_before, tuple(files))
        records = [c for c in files if c.is_record]
        return cls(account, files_before, tuple(_pair([c for c in files if not c.is_record]) + records))

    def split(self, sizes: Mapping[str, int]) -> dict[str, ChangeSet]:
        """One change set per top-level folder: every folder of ``sizes`` (its item count in the
        previous snapshot, the part's own denominator) and every folder with a change. A part whose
        changes are records counts ``records``, any other ``files``."""
        per: dict[str, list[Change]] = {name: [] for name in sizes}
        for c in self.changes:
            per.setdefault(c.part, []).append(c)
        return {name: ChangeSet(self.account, max(int(sizes.get(name, 0)), 0), tuple(found), part=name,
                               unit="records" if any(c.is_record for c in found) else "files")
                for name, found in sorted(per.items())}

    def of(self, op: str) -> list[Change]:
        return [c for c in self.changes if c.op == op]

    @property
    def added(self) -> list[Change]:
        return self.of("added")

    @property
    def modified(self) -> list[Change]:
        return self.of("modified")

    @property
    def deleted(self) -> list[Change]:
        return self.of("deleted")


def _pair(changes: list[Change]) -> list[Change]:
    deleted = {c.path: c for c in changes if c.op == "deleted"}
    by_name: dict[tuple[str, str], str] = {}
    by_stem: dict[tuple[str, str], str] = {}
    for path in deleted:
        by_name[(dir_of(path), name_of(path))] = path
        by_stem.setdefault((dir_of(path), stem(path)), path)
    used: set[str] = set()
    out: list[Change] = []
    for c in changes:
        if c.op != "added":
            continue
        old = _match(c.path, by_name, by_stem, used)
        if old is None:
            out.append(c)
            continue
        used.add(old)
        prev = deleted[old]
        out.append(replace(c, op="modified", previous_path=old, previous_entropy=prev.previous_entropy
                           if prev.previous_entropy is not None else prev.entropy))
    out.extend(c for c in changes if c.op == "modified")
    out.extend(c for c in changes if c.op == "deleted" and c.path not in used)
    return out


def _match(path: str, by_name: dict[tuple[str, str], str], by_stem: dict[tuple[str, str], str],
           used: set[str]) -> str | None:
    folder, name = dir_of(path), name_of(path)
    # report.docx -> report.docx.locked, report.docx.id-42.[x@y].crypt: the old name is a prefix.
    head = name
    while "." in head:
        head = head.rsplit(".", 1)[0]
        old = by_name.get((folder, head))
        if old is not None and old not in used:
            return old
    old = by_stem.get((folder, stem(path)))  # report.docx -> report.locked
    return old if old is not None and old not in used and old != path else None
