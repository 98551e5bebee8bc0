"""Administrative steps of the cluster test, run as a separate process on the cluster's environment
(the same services the CLI, API and dashboard call).

``setup``: an operator (so no web process has to create the first one), a partner, a customer, a
partner admin with an API token, the customer's journaling address; prints them as JSON.
``import CUSTOMER MAILBOX FILE``: the upload of an MBOX file as the dashboard and the API do it
(create, append, complete), which queues an ``archive.import`` job; prints the job id as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()

from django.db import transaction  # noqa: E402  (after django.setup)

from kustos.accounts.services import tokens, users  # noqa: E402
from kustos.archive.services import journal, uploads  # noqa: E402
from kustos.jobs import services as jobs  # noqa: E402
from kustos.tenants.models import Customer  # noqa: E402
from kustos.tenants.services import customers, partners  # noqa: E402


def setup() -> dict:
    users.create("operator@cluster.example", "operator", password=os.urandom(16).hex(), actor="cluster-test")
    partner = partners.create("Cluster Partner")
    customer = customers.create(partner, "Cluster Kunde")
    admin = users.create("admin@cluster.example", "partner_admin", password=os.urandom(16).hex(), partner=partner)
    _, secret = tokens.create(admin, "cluster")
    return {"customer": customer.id, "token": secret, "journal": journal.address(customer)}


def start_import(customer_id: str, mailbox: str, path: Path) -> dict:
    jobs.set_inline(False)
    customer = Customer.objects.get(id=customer_id)
    size = path.stat().st_size
    upload = uploads.create(customer, path.name, size, mailbox, actor="admin@cluster.example")
    with path.open("rb") as fh:
        upload = uploads.append(upload, 0, fh, size)
    with transaction.atomic():
        job = uploads.complete(upload, actor="admin@cluster.example")
    return {"job": job.id}


if __name__ == "__main__":
    command = sys.argv[1]
    result = setup() if command == "setup" else start_import(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    print(json.dumps(result))
