"""What the sign-in page offers besides the password form: a button per enabled provider marked
"show on the sign-in page", and the e-mail-first field while any enabled provider routes e-mail domains."""

from __future__ import annotations

from typing import Any

from kustos.sso.models import IdentityProvider
from kustos.sso.services import providers


def options() -> dict[str, Any]:
    enabled = IdentityProvider.objects.filter(enabled=True, kind__in=providers.OIDC_KINDS).order_by("name", "id")
    rows = list(enabled.only("id", "name", "kind", "config"))
    return {
        "buttons": [{"id": p.id, "name": p.name, "kind": p.kind} for p in rows if (p.config or {}).get("show_on_login")],
        "discover": IdentityProvider.objects.filter(enabled=True).exists(),
    }
