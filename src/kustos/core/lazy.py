"""Deferred loading of implementations named ``"package.module:attribute"``.

The `kustos` command registers every parser at start but imports a command's implementation
(and with it the vault, the search index, the mail parser, HTTP clients ...) only when that
command runs; the job runner does the same for job handlers. This is the one place that
imports by name.
"""

from __future__ import annotations

import importlib
from typing import Any


def resolve(target: str) -> Any:
    """The object named ``"package.module:attribute"`` (the module is imported on first use)."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected 'package.module:attribute', got {target!r}")
    return getattr(importlib.import_module(module_name), attribute)


class Deferred:
    """A callable standing for ``target``; the module is imported at the first call."""

    __slots__ = ("target",)

    def __init__(self, target: str):
        self.target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return resolve(self.target)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"
