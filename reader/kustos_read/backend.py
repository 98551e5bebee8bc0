"""Where the vault's objects are: a directory or an S3 bucket/prefix (FORMAT.md §1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse


class ReadError(Exception):
    """A problem with the vault, the key file or the arguments (printed as one line)."""


class Backend(Protocol):
    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes: ...

    def list(self, prefix: str) -> list[str]: ...


class DirBackend:
    def __init__(self, root: Path):
        if not root.is_dir():
            raise ReadError(f"no vault directory at {root}")
        self.root = root

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        try:
            with open(self.root / name, "rb") as fh:
                fh.seek(offset)
                return fh.read() if length is None else fh.read(length)
        except FileNotFoundError:
            raise ReadError(f"{name}: missing from the vault")

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.rstrip("/") if prefix.endswith("/") else self.root / os.path.dirname(prefix)
        out: list[str] = []
        if not base.is_dir():
            return out
        for dirpath, _dirs, files in os.walk(base):
            for f in files:
                if f.startswith("."):
                    continue  # temporary files of an interrupted write
                name = os.path.relpath(os.path.join(dirpath, f), self.root).replace(os.sep, "/")
                if name.startswith(prefix):
                    out.append(name)
        return sorted(out)


class S3Backend:
    def __init__(self, url: str):
        try:
            import boto3  # optional: pip install 'kustos-read[s3]'
        except ImportError:
            raise ReadError("s3:// vaults need boto3: pip install 'kustos-read[s3]'")
        parsed = urlparse(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/") + "/" if parsed.path.strip("/") else ""
        self.client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        args = {"Bucket": self.bucket, "Key": self.prefix + name}
        if offset or length is not None:
            args["Range"] = f"bytes={offset}-" + ("" if length is None else str(offset + length - 1))
        try:
            return self.client.get_object(**args)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise ReadError(f"{name}: missing from the vault")

    def list(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                          Prefix=self.prefix + prefix):
            out.extend(item["Key"][len(self.prefix):] for item in page.get("Contents", []))
        return sorted(out)


def open_backend(location: str) -> Backend:
    if location.startswith("s3://"):
        return S3Backend(location)
    return DirBackend(Path(location))
