"""Seed a KUSTOS_HOME for browser tests: run as a separate process against that home.

    KUSTOS_HOME=... python tests/e2e/seed_home.py [--demo]

Creates a partner, a partner admin with a confirmed TOTP device and prints one JSON
line {"email", "password", "totp_key_hex", "partner"}. With --demo it also adds
customers with usage figures and a few jobs so screenshots show a realistic table.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from kustos.accounts.services import users  # noqa: E402
from kustos.jobs.models import Job  # noqa: E402
from kustos.tenants.models import Customer  # noqa: E402
from kustos.tenants.services import customers, locations, partners  # noqa: E402

PASSWORD = "browser-test-pass-42"

DEMO = [
    ("Müller Steuerberatung", "Müller & Partner Steuerberatungsgesellschaft mbH", 48_318_221_312, 37, True, True),
    ("Bäckerei Sonnenschein", "", 3_221_225_472, 8, True, False),
    ("Kanzlei Vogt", "Vogt Rechtsanwälte PartG", 127_916_442_931, 64, True, True),
    ("Praxis Dr. Lange", "", 9_663_676_416, 12, True, False),
    ("Nordlicht Logistik", "Nordlicht Logistik GmbH", 512_110_190_592, 215, True, True),
    ("Kunde 4711", "", 0, 0, False, True),
]


def main() -> None:
    call_command("migrate", interactive=False, verbosity=0)
    location = locations.default()
    partner = partners.create("Nordwind IT")
    admin = users.create("admin@nordwind-it.example", "partner_admin", password=PASSWORD, partner=partner,
                         name="Jana Becker", actor="seed")
    device = TOTPDevice.objects.create(user=admin, name="seed", confirmed=True)
    if "--demo" in sys.argv:
        now = timezone.now()
        for i, (name, legal, size, boxes, arch, backup) in enumerate(DEMO):
            c = customers.create(partner, name, legal_name=legal, location=location, archiving_enabled=arch,
                                 backup_enabled=backup, actor="seed")
            Customer.objects.filter(id=c.id).update(storage_bytes=size, mailbox_count=boxes,
                                                    last_activity_at=now - timedelta(hours=3 * i) if size else None)
            Job.objects.create(kind="source.run", customer_id=c.id, customer_name=c.name, partner=partner,
                               state=Job.State.SUCCEEDED, progress=1.0, created_by="scheduler",
                               started_at=now - timedelta(minutes=30 + i), finished_at=now - timedelta(minutes=20 + i))
        Job.objects.create(kind="archive.import", customer_name="Kanzlei Vogt", partner=partner,
                           state=Job.State.RUNNING, progress=0.42, progress_text="PST 2 of 5", created_by=admin.email)
    print(json.dumps({"email": admin.email, "password": PASSWORD, "totp_key_hex": device.key,
                      "partner": partner.id, "step": device.step, "digits": device.digits}))


if __name__ == "__main__":
    main()
