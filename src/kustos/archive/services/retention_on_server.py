"""Optional clean-up of the mail server: delete messages N days after they were archived.

Only messages whose bytes are in the vault and re-read intact (SHA-256 recomputed) are
ever deleted, and only through the connector's UID-safe expunge, which refuses when the
folder's UIDVALIDITY changed or the server lacks UIDPLUS.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.utils import timezone

from kustos.archive.models import MessageRef, Source
from kustos.audit import services as audit
from kustos.core import runtime


def expunge_archived(source: Source, connector: Any) -> int:
    days = int(source.config.get("delete_after_days") or 0)
    cutoff = timezone.now() - timedelta(days=days)
    refs = (MessageRef.objects.filter(source=f"{source.kind}:{source.id}", added_at__lte=cutoff)
            .select_related("message").order_by("id"))
    store = runtime.store_for(source.customer_id)
    by_folder: dict[str, list[str]] = defaultdict(list)
    for ref in refs.iterator():
        folder, sep, uid = ref.source_ref.rpartition("#")
        if not sep:
            continue
        data = store.get(ref.message.vault_id)
        if hashlib.sha256(data).hexdigest() != ref.message.sha256:
            continue  # never delete at the source what the vault cannot prove it holds
        by_folder[folder].append(uid)
    deleted = 0
    for folder, uids in by_folder.items():
        deleted += len(connector.expunge_older_than(folder, uids, 0))
    if deleted:
        audit.record("source.server_cleanup", actor="system", customer=source.customer, target=source.id,
                     detail={"deleted": deleted, "days": days})
    return deleted
