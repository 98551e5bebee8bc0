"""/api/v1 journaling set-up steps per mail platform, filled in for the customer, with the last
journal delivery (the same as `kustos journal setup` and the journaling page)."""

from __future__ import annotations

from typing import Literal

from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import journal_setup

router = Router(tags=["sources"])


@router.get("/customers/{customer_id}/journal/setup", response=dict,
            summary="Journaling set-up steps for a mail platform (exchange-online, exchange-server, google, postfix) "
                    "in English or German, and when the last journal report arrived")
def journal_setup_steps(request, customer_id: str,
                        platform: Literal["exchange-online", "exchange-server", "google", "postfix"] = "exchange-online",
                        lang: Literal["en", "de"] = "en"):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return journal_setup.setup(customer, platform, lang, actor=request.auth)
