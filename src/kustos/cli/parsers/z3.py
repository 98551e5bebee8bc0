"""Parser of `kustos export z3 --customer C -o DIR QUERY` (implementation: cli/z3.py).

`export` itself is defined by the archive parsers (`kustos export --format … -o FILE QUERY`);
this module routes an `export` whose first query word is ``z3`` to the Z3 handover, so the
archive parser must be registered before this one. The words of the query may come before
and after the options (`export z3 --customer C -o DIR QUERY`): the export parser parses
intermixed positionals.
"""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


class _IntermixedParser(argparse.ArgumentParser):
    """Collects positionals on both sides of the options (``z3`` … options … query words)."""

    _mixing = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._mixing:
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.choices["export"]
    p.__class__ = _IntermixedParser
    p.description = ("export matching messages as EML-zip or MBOX; `kustos export z3 --customer C -o DIR QUERY` "
                     "writes a Z3 tax-audit handover (GDPdU index.xml, messages.csv, original .eml files, "
                     "SHA256SUMS) into the new or empty directory DIR")
    p.set_defaults(func=Deferred("kustos.cli.z3:cmd_export"))
