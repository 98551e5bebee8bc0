"""`kustos vault ...` subcommands (being built)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register this area's subcommands (none yet)."""
