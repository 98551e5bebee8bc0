"""Generated accounts and working days for the backup anomaly tests (deterministic)."""

from __future__ import annotations

import random

from kustos.backupguard.changes import Change, ChangeSet
from kustos.backupguard.entropy import EntropyEstimator

WORDS = ("invoice quarterly report meeting budget customer contract project timeline review draft "
         "approval delivery schedule summary minutes agenda proposal offer order payment reminder").split()


def text(rng: random.Random, size: int = 6000) -> bytes:
    out: list[str] = []
    while sum(map(len, out)) < size:
        out.append(" ".join(rng.choice(WORDS) for _ in range(12)) + f" {rng.randint(1, 9999)}.\n")
    return "".join(out).encode()[:size]


def noise(rng: random.Random, size: int = 6000) -> bytes:
    return rng.randbytes(size)


def measure(data: bytes) -> tuple[float, int]:
    est = EntropyEstimator()
    for i in range(0, len(data), 1000):  # as a sink streams it
        est.feed(data[i:i + 1000])
    assert est.entropy is not None
    return est.entropy, est.sample_size


class Account:
    """An account of ``n`` files: mostly documents, some office files, photos and archives."""

    def __init__(self, n: int = 400, seed: int = 1, name: str = "anna"):
        self.rng = random.Random(seed)
        self.name = name
        self.files: dict[str, bytes] = {}
        kinds = ("txt", "txt", "csv", "md", "docx", "jpg", "txt", "eml")
        for i in range(n):
            ext = kinds[i % len(kinds)]
            self.files[f"docs/team{i % 7}/file{i}.{ext}"] = self.content(ext)

    def content(self, ext: str) -> bytes:
        return noise(self.rng) if ext in ("docx", "jpg", "zip", "png") else text(self.rng)

    def change(self, op: str, path: str, new: bytes | None = None) -> Change:
        entropy, sample = measure(new) if new is not None else (None, 0)
        return Change(op=op, path=path, size=len(new or b""), entropy=entropy, sample_size=sample)

    def paths(self, ext: str | None = None) -> list[str]:
        return sorted(p for p in self.files if ext is None or p.endswith("." + ext))

    def apply(self, changes: list[Change], contents: dict[str, bytes | None]) -> ChangeSet:
        cs = ChangeSet.build(self.name, len(self.files), changes)
        for path, data in contents.items():
            if data is None:
                self.files.pop(path, None)
            else:
                self.files[path] = data
        return cs

    def normal_day(self, edits: int = 36, new: int = 8, deletions: int = 4) -> ChangeSet:
        """A few dozen edits (documents and office files), some new files, a few deletions,
        a zip archive added and one file renamed from .txt to .md."""
        changes: list[Change] = []
        contents: dict[str, bytes | None] = {}
        texts = [p for p in self.paths() if p.endswith((".txt", ".csv", ".md", ".eml"))]
        for path in self.rng.sample(texts, edits):
            data = self.files[path] + text(self.rng, 400)
            changes.append(self.change("modified", path, data))
            contents[path] = data
        for path in self.rng.sample(self.paths("docx"), 3):  # office files are zip: high entropy before and after
            data = noise(self.rng)
            changes.append(self.change("modified", path, data))
            contents[path] = data
        for i in range(new):
            path = f"docs/new/{self.rng.randint(0, 10**9)}-{i}.txt"
            data = text(self.rng)
            changes.append(self.change("added", path, data))
            contents[path] = data
        zip_path = f"docs/archive-{self.rng.randint(0, 10**9)}.zip"
        zipped = noise(self.rng, 200_000)
        changes.append(self.change("added", zip_path, zipped))
        contents[zip_path] = zipped
        untouched = [p for p in self.paths() if p not in contents]
        for path in self.rng.sample(untouched, deletions):
            changes.append(Change(op="deleted", path=path))
            contents[path] = None
        renamed = next(p for p in self.paths("txt") if p not in contents)
        changes.append(Change(op="deleted", path=renamed))
        md = renamed[:-4] + ".md"
        changes.append(self.change("added", md, self.files[renamed]))
        contents[renamed], contents[md] = None, self.files[renamed]
        return self.apply(changes, contents)

    def busy_day(self, share: float) -> ChangeSet:
        """Edits of ``share`` of the documents (text stays text)."""
        changes: list[Change] = []
        contents: dict[str, bytes | None] = {}
        for path in self.rng.sample(self.paths(), int(len(self.files) * share)):
            if path.endswith((".docx", ".jpg")):
                data = noise(self.rng)
            else:
                data = text(self.rng)
            changes.append(self.change("modified", path, data))
            contents[path] = data
        return self.apply(changes, contents)

    def ransomware(self, share: float = 0.9, suffix: str = "locked") -> ChangeSet:
        """``share`` of the files rewritten with random bytes and renamed ``name.ext.<suffix>``."""
        changes: list[Change] = []
        contents: dict[str, bytes | None] = {}
        for path in self.rng.sample(self.paths(), int(len(self.files) * share)):
            data = noise(self.rng, len(self.files[path]))
            changes.append(Change(op="deleted", path=path))
            changes.append(self.change("added", f"{path}.{suffix}", data))
            contents[path], contents[f"{path}.{suffix}"] = None, data
        return self.apply(changes, contents)

    def encrypt_in_place(self, count: int) -> ChangeSet:
        changes: list[Change] = []
        contents: dict[str, bytes | None] = {}
        for path in self.paths("txt")[:count]:
            data = noise(self.rng, len(self.files[path]))
            changes.append(self.change("modified", path, data))
            contents[path] = data
        return self.apply(changes, contents)

    def delete(self, count: int) -> ChangeSet:
        paths = self.rng.sample(self.paths(), count)
        return self.apply([Change(op="deleted", path=p) for p in paths], {p: None for p in paths})
