"""The Outlook add-in as a unified app manifest for Microsoft 365 (/outlook/manifest.json) validates against
Microsoft's official JSON schema (npm package @microsoft/app-manifest, fetched with a pinned sha512 by
scripts/fetch-app-manifest-schema.py, which `make system` runs), describes the same add-in as the XML
manifest, and the app package zip (/outlook/app-package.zip) holds it with the icons the schema requires."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest
from django.test import Client
from lxml import etree

from kustos.addin import unified_manifest as outlook_unified
from kustos.web.views import outlook

BASE = "https://archiv.systemhaus.example"
# Where scripts/fetch-app-manifest-schema.py puts the package (same rule as there).
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kustos" / "schemas"
TEAMS = CACHE / "app-manifest-1.1.2" / "package" / "build" / "json-schemas" / "teams"
SCHEMA = TEAMS / f"v{outlook_unified.MANIFEST_VERSION}" / "MicrosoftTeams.schema.json"
LOCALIZATION = TEAMS / f"v{outlook_unified.MANIFEST_VERSION}" / "MicrosoftTeams.Localization.schema.json"

needs_schema = pytest.mark.skipif(
    not SCHEMA.is_file(),
    reason=f"Microsoft's app manifest schema is not at {SCHEMA}: run `python3 scripts/fetch-app-manifest-schema.py` "
           "(part of `make system`) to download @microsoft/app-manifest 1.1.2 from the npm registry")


@pytest.fixture
def base_url(settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "base_url": BASE + "/"})
    return BASE


def _errors(schema_path: Path, doc: dict) -> list[str]:
    """Every schema error (draft-04 as the schema declares; its $refs are local to the file)."""
    schema = json.loads(schema_path.read_text(encoding="utf-8-sig"))
    cls = jsonschema.validators.validator_for(schema)
    # The schema itself is valid draft-04; its patterns use ECMAScript \p{L}, which Python's re does not
    # know, so the metaschema's "regex" format is not checked (no such pattern applies to this manifest).
    cls.check_schema(schema, format_checker=None)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))]


def _served_manifest() -> dict:
    resp = Client().get("/outlook/manifest.json")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/json")
    return json.loads(resp.content)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _png_pixels(data: bytes) -> set[tuple[int, ...]]:
    """The distinct RGBA pixels of a PNG as written by kustos.addin.icons (filter 0 rows)."""
    width, height = _png_size(data)
    assert data[24:26] == b"\x08\x06"  # 8 bit RGBA
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    assert len(raw) == stride * height and all(raw[y * stride] == 0 for y in range(height))
    return {tuple(raw[y * stride + 1 + 4 * x:y * stride + 5 + 4 * x]) for y in range(height) for x in range(width)}


@needs_schema
def test_manifest_json_validates_against_microsofts_schema(db, base_url):
    doc = _served_manifest()
    errors = _errors(SCHEMA, doc)
    assert not errors, "manifest.json does not validate against Microsoft's schema:\n" + "\n".join(errors)
    assert doc["$schema"] == ("https://developer.microsoft.com/json-schemas/teams/v"
                              f"{outlook_unified.MANIFEST_VERSION}/MicrosoftTeams.schema.json")
    # The newest numbered schema version in the package.
    newest = max((tuple(int(n) for n in p.name[1:].split(".")) for p in TEAMS.iterdir()
                  if p.name[1:2].isdigit()), default=())
    assert doc["manifestVersion"] == ".".join(map(str, newest))


@needs_schema
def test_the_schema_check_rejects_a_broken_manifest(db, base_url):
    good = _served_manifest()
    no_colour_icon = json.loads(json.dumps(good))
    del no_colour_icon["icons"]["color"]
    bad_scope = json.loads(json.dumps(good))
    bad_scope["extensions"][0]["requirements"]["scopes"] = ["calendar"]
    bad_control = json.loads(json.dumps(good))
    bad_control["extensions"][0]["ribbons"][0]["tabs"][0]["groups"][0]["controls"][0]["type"] = "knob"
    plain_http = json.loads(json.dumps(good))
    plain_http["extensions"][0]["runtimes"][0]["code"]["page"] = "http://archiv.systemhaus.example/outlook/taskpane/"
    for broken, expected in ((no_colour_icon, "'color' is a required property"),
                             (bad_scope, "'calendar' is not one of"),
                             (bad_control, "'knob' is not one of"),
                             (plain_http, "does not match")):
        errors = _errors(SCHEMA, broken)
        assert any(expected in e for e in errors), errors


def test_manifest_json_is_the_same_addin_as_the_xml_manifest(db, base_url):
    doc = _served_manifest()
    ns = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
          "v": "http://schemas.microsoft.com/office/mailappversionoverrides",
          "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0"}
    xml = etree.fromstring(Client().get("/outlook/manifest.xml").content)
    assert doc["id"] == xml.findtext("o:Id", namespaces=ns) == outlook.addin_id(BASE)
    ext = doc["extensions"][0]
    assert ext["requirements"]["scopes"] == ["mail"]
    runtime = ext["runtimes"][0]
    assert runtime["code"]["page"] == BASE + "/outlook/taskpane/" == xml.find(
        ".//bt:Url[@id='taskpaneUrl']", ns).get("DefaultValue")
    assert runtime["actions"][0]["type"] == "openPage"
    ribbon = ext["ribbons"][0]
    assert ribbon["contexts"] == ["mailRead"]
    group = ribbon["tabs"][0]["groups"][0]
    button = group["controls"][0]
    assert (group["id"], group["label"]) == ("kustosReadGroup", "Kustos")
    assert (button["id"], button["label"], button["actionId"]) == ("kustosOpenPane", "Archive", runtime["actions"][0]["id"])
    xml_icons = {e.get("DefaultValue") for e in xml.iterfind(".//bt:Images/bt:Image", ns)}
    assert {i["url"] for i in button["icons"]} == xml_icons
    assert doc["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "Mailbox.ReadWrite.User", "type": "Delegated"}]
    assert doc["validDomains"] == ["archiv.systemhaus.example"]
    client = Client()
    for icon in button["icons"]:
        assert client.get(icon["url"].removeprefix(BASE)).status_code == 200, icon["url"]


def test_app_package_holds_the_manifest_and_the_required_icons(db, base_url):
    resp = Client().get("/outlook/app-package.zip")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/zip"
    assert "attachment" in resp["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        assert sorted(zf.namelist()) == ["color.png", "de-de.json", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        colour, outline = zf.read("color.png"), zf.read("outline.png")
        german = json.loads(zf.read("de-de.json"))
    assert manifest == _served_manifest()
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert _png_size(colour) == (192, 192) and _png_size(outline) == (32, 32)
    # The outline icon: white strokes on a transparent background, nothing else.
    assert _png_pixels(outline) == {(255, 255, 255, 255), (0, 0, 0, 0)}
    assert len(_png_pixels(colour)) >= 3
    assert german["name.short"] == "Kustos-Archiv"
    assert german["extensions[0].ribbons[0].tabs[0].groups[0].controls[0].label"] == "Archiv"
    assert manifest["localizationInfo"]["additionalLanguages"] == [{"languageTag": "de-de", "file": "de-de.json"}]
    # Same address, same bytes (an admin can compare a re-download with what is deployed).
    assert Client().get("/outlook/app-package.zip").content == resp.content


@needs_schema
def test_german_strings_validate_against_microsofts_localization_schema(db, base_url):
    with zipfile.ZipFile(io.BytesIO(Client().get("/outlook/app-package.zip").content)) as zf:
        german = json.loads(zf.read("de-de.json"))
    errors = _errors(LOCALIZATION, german)
    assert not errors, "de-de.json does not validate against Microsoft's schema:\n" + "\n".join(errors)
