"""Where exit exports made on the server live: ``$KUSTOS_HOME/exit-exports/<customer>/<job id>/``
(0700). They stay until downloaded and removed by an operator, or until the customer is deleted
(``tenants/services/purge.py`` calls ``purge_customer``: a crypto-shredded customer leaves no
plaintext copy behind)."""

from __future__ import annotations

import shutil
from pathlib import Path

from kustos.core import runtime


def root() -> Path:
    return runtime.settings().home / "exit-exports"


def _checked(part: str) -> str:
    if not part or "/" in part or part.startswith("."):
        raise ValueError(f"not an id: {part!r}")
    return part


def customer_dir(customer_id: str, create: bool = False) -> Path:
    base = root() / _checked(customer_id)
    if create:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in (root(), base):
            d.chmod(0o700)
    return base


def job_dir(customer_id: str, job_id: str) -> Path:
    return customer_dir(customer_id) / _checked(job_id)


def purge_customer(customer_id: str) -> int:
    """Delete every exit export of a customer; returns how many files were removed."""
    base = customer_dir(customer_id)
    if not base.exists():
        return 0
    removed = sum(1 for p in base.rglob("*") if p.is_file())
    shutil.rmtree(base, ignore_errors=True)
    return removed
