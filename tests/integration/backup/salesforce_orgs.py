"""Shared set-up of the Salesforce tests with two orgs of one customer (fakecloud): an org handle over
the control API, adding an org as a source through the CLI, running a backup job."""

from __future__ import annotations

import json

from kustos.archive.models import Source
from kustos.cli import registry as cli


class Org:
    def __init__(self, control, tenant: str) -> None:
        self.control, self.tenant = control, tenant

    def add(self, obj: str, values: dict) -> str:
        return self.control.seed("salesforce", self.tenant, "", obj, "", json.dumps(values).encode())["id"]

    def change(self, obj: str, record_id: str, values: dict) -> None:
        self.control.seed("salesforce", self.tenant, "", obj, record_id, json.dumps(values).encode())

    def describe(self, obj: str, field: str, **describe) -> None:
        self.control.call("salesforce/describe", tenant=self.tenant, object=obj, field=field, describe=describe)

    def records(self, obj: str) -> dict[str, dict]:
        return {row["path"]: row["content"] for row in self.control.items("salesforce", self.tenant, obj)}


def add_source(control, customer, tenant: str, capsys, tmp_path) -> Source:
    """The org added as ``kustos source add salesforce --settings-file F.json --endpoint URL``."""
    settings = control.credentials("salesforce", tenant)
    path = tmp_path / f"{tenant}.json"
    path.write_text(json.dumps({k: v for k, v in settings.items() if k != "endpoint"}))
    capsys.readouterr()
    code = cli.run(["source", "add", "salesforce", "--customer", str(customer.id), "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return Source.objects.get(id=json.loads(out)["id"])
