"""`kustos source cleanup SOURCE [--older-than-days N] [--folder F ...] [--dry-run]`."""

from __future__ import annotations

import argparse

from django.core.exceptions import ValidationError

from kustos.archive.models import Source
from kustos.archive.services import mailbox_cleanup
from kustos.cli.base import CLIError, Context
from kustos.sources.base import ConnectorError


def cmd_cleanup(ctx: Context, args: argparse.Namespace) -> dict:
    source = Source.objects.select_related("customer").filter(id=args.id).first()
    if source is None:
        raise CLIError(f"no source with id {args.id!r}")
    try:
        return mailbox_cleanup.run(source, older_than_days=args.older_than_days, folders=args.folders,
                                   dry_run=args.dry_run, actor="cli")
    except ValidationError as exc:
        raise CLIError(" ".join(exc.messages)) from None
    except (ConnectorError, OSError) as exc:
        raise CLIError(f"cleanup of source {source.id} failed: {exc}") from None
