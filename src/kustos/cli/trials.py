"""`kustos trial start --customer C --service archive|backup [--then paid|end]`, `kustos trial list`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.billing.services import activations, trials
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_start(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    row = trials.start(lookup.customer(args.customer), args.service, args.then, actor="cli")
    return activations.as_dict(row)


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return trials.trials(lookup.partner(args.partner) if args.partner else None)
