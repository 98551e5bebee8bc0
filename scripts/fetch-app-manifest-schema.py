#!/usr/bin/env python3
"""Fetches Microsoft's official JSON schemas of the unified app manifest for Microsoft 365 (npm package
@microsoft/app-manifest, pinned version and sha512) into a cache directory outside the checkout, for the
test that validates Kustos's Outlook add-in manifest (tests/integration/self_service/test_outlook_unified_manifest.py).

No npm needed: the tarball is downloaded from the npm registry with Python's standard library and checked
against the registry's ``dist.integrity``. Cache: ``${XDG_CACHE_HOME:-~/.cache}/kustos/schemas``;
the schemas land in ``<cache>/app-manifest-<version>/package/build/json-schemas/``.

Exit codes: 0 done (or already there; or the registry unreachable: a warning, the test then skips and says
why), 1 the download did not match the pinned checksum (nothing is unpacked).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "1.1.2"
URL = f"https://registry.npmjs.org/@microsoft/app-manifest/-/app-manifest-{VERSION}.tgz"
INTEGRITY = "sha512-uXdmYzhIcchi3Tc9Sh3pTDMe55zy7ge19bnYCGB1gzuyha85Ii7wfdTruwEhqseaX9pwsWDRB5Ot/ltv0rCONw=="
PREFIX = "package/build/json-schemas/"


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kustos" / "schemas"


def main() -> int:
    dest = cache_root() / f"app-manifest-{VERSION}"
    stamp = dest / ".integrity"
    if stamp.is_file() and stamp.read_text().strip() == INTEGRITY:
        return 0
    try:
        with urllib.request.urlopen(URL, timeout=60) as resp:  # noqa: S310 - fixed https URL
            data = resp.read()
    except OSError as exc:
        print(f"fetch-app-manifest-schema: warning: could not download {URL}: {exc}", file=sys.stderr)
        return 0
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        print(f"fetch-app-manifest-schema: {URL} does not match the pinned checksum "
              f"(expected {INTEGRITY}, got {got})", file=sys.stderr)
        return 1
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(PREFIX) and ".." not in m.name]
        members = [m for m in members if not m.name.startswith("/")]
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(tmp, members=members, filter="data")
        else:  # regular files under PREFIX only, no absolute or ".." names: safe without the filter
            tar.extractall(tmp, members=members)  # noqa: S202
    (tmp / ".integrity").write_text(INTEGRITY + "\n")
    if dest.exists():
        for path in sorted(dest.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        dest.rmdir()
    tmp.rename(dest)
    print(f"fetch-app-manifest-schema: Microsoft app manifest schemas {VERSION} in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
