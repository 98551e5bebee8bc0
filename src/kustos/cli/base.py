"""Shared machinery for `kustos` subcommands.

Contract for a command module ``kustos.cli.<area>``::

    def register(sub, common) -> None:
        p = sub.add_parser("vault", help="...")
        vsub = p.add_subparsers(dest="vault_command", required=True)
        s = vsub.add_parser("stats", parents=[common], help="...")
        s.add_argument("--customer")
        s.set_defaults(func=cmd_stats)

    def cmd_stats(ctx: Context, args) -> dict | list | None: ...

The returned value is printed as one JSON document with ``--json``; otherwise
``ctx.render`` (or a plain key/value listing) is used. Failures raise ``CLIError``
(one-line message, exit 1); a command may set ``ctx.exit_code`` (e.g. verify).

``rich`` (consoles, progress bars) is imported only when a command prints for humans: a
``--json`` command that never touches ``ctx.console`` / ``ctx.out`` does not pay for it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kustos.config import Settings
from kustos.core.lazy import resolve

if TYPE_CHECKING:
    from rich.console import Console


class CLIError(Exception):
    """A command failed; the message is printed as one line and the exit code is ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Context:
    """What a command gets: settings, output helpers and lazily opened resources."""

    def __init__(self, settings: Settings, json_output: bool):
        self.settings = settings
        self.json = json_output
        self.exit_code = 0
        self._console: Console | None = None
        self._out: Console | None = None
        self.render: Callable[[Any], None] | None = None
        self._cache: dict[str, Any] = {}

    @property
    def console(self) -> Console:
        """Human text on stderr (created on first use)."""
        if self._console is None:
            self._console = resolve("rich.console:Console")(stderr=True)
        return self._console

    @property
    def out(self) -> Console:
        """Human output on stdout (created on first use)."""
        if self._out is None:
            self._out = resolve("rich.console:Console")()
        return self._out

    def resource(self, name: str, factory: Callable[[], Any]) -> Any:
        """Open a resource once per command (e.g. the vault)."""
        if name not in self._cache:
            self._cache[name] = factory()
        return self._cache[name]

    def info(self, text: str) -> None:
        """Human progress text on stderr (suppressed with --json)."""
        if not self.json:
            self.console.print(text)

    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr; yields ``advance(n)``. Silent with --json or no TTY."""
        if self.json or not sys.stderr.isatty():
            yield lambda n=1: None
            return
        part = {name: resolve(f"rich.progress:{name}") for name in
                ("BarColumn", "MofNCompleteColumn", "Progress", "TextColumn", "TimeRemainingColumn")}
        columns = [part["TextColumn"]("{task.description}"), part["BarColumn"](), part["MofNCompleteColumn"](),
                   part["TimeRemainingColumn"]()]
        with part["Progress"](*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document")
    return common


def emit(ctx: Context, result: Any) -> None:
    if result is None:
        return
    if ctx.json:
        out = ctx._out.file if ctx._out is not None else sys.stdout  # no console needed for JSON
        out.write(json.dumps(result, default=str, ensure_ascii=False, indent=None) + "\n")
        out.flush()
        return
    if ctx.render is not None:
        ctx.render(result)
        return
    _plain(ctx, result)


def _plain(ctx: Context, result: Any) -> None:
    if isinstance(result, list):
        if not result:
            ctx.out.print("(none)")
        for row in result:
            if isinstance(row, dict):
                ctx.out.print("  ".join(f"{k}={v}" for k, v in row.items()), markup=False, highlight=False)
            else:
                ctx.out.print(str(row), markup=False, highlight=False)
    elif isinstance(result, dict):
        width = max((len(str(k)) for k in result), default=0)
        for key, value in result.items():
            ctx.out.print(f"{str(key).ljust(width)}  {value}", markup=False, highlight=False)
    else:
        ctx.out.print(str(result), markup=False, highlight=False)
