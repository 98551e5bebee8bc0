"""The Outlook add-in in Microsoft's unified app manifest for Microsoft 365 (JSON), and its app package.

The same add-in as the XML manifest (``kustos/outlook/manifest.xml``): the same id, names, task pane,
ribbon button (Kustos → Archive in message read mode) and permission (read/write mailbox), every URL on
the installation's address. The app package is the zip an administrator uploads in the Microsoft 365
admin centre (Integrated apps): ``manifest.json``, the two icons the schema requires, and the German
strings (``de-de.json``). Schema: manifest version 1.30, the newest one in Microsoft's
``@microsoft/app-manifest`` package that supports Outlook add-in extensions.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.parse import urlsplit

from kustos.addin import icons as outlook_icons

MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_URL = (f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
                           "MicrosoftTeams.Localization.schema.json")
APP_VERSION = "1.0.0"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
GERMAN_FILE = "de-de.json"
#: The XML manifest's permission ReadWriteMailbox in the unified manifest.
PERMISSION = "Mailbox.ReadWrite.User"
ACTION_ID = "openKustosPane"

_CONTROL = "extensions[0].ribbons[0].tabs[0].groups[0].controls[0]"
GERMAN = {
    "name.short": "Kustos-Archiv",
    "name.full": "Kustos-Archiv",
    "description.short": "Archivierte E-Mails durchsuchen, lesen und ins Postfach zurückholen.",
    "description.full": "Archivierte E-Mails durchsuchen, lesen und eine Nachricht in dieses Postfach "
                        "zurückholen, direkt aus Outlook.",
    f"{_CONTROL}.label": "Archiv",
    f"{_CONTROL}.supertip.title": "Archiv",
    f"{_CONTROL}.supertip.description": "Archivierte E-Mails durchsuchen und eine Nachricht in dieses "
                                        "Postfach zurückholen.",
}


def _icons(base: str) -> list[dict[str, Any]]:
    return [{"size": size, "url": f"{base}/static/kustos/outlook/icon-{size}.png"} for size in (16, 32, 80)]


def manifest(base: str, addin_id: str) -> dict[str, Any]:
    """The unified manifest of the add-in served at ``base`` (no trailing slash)."""
    taskpane = f"{base}/outlook/taskpane/"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "id": addin_id,
        "version": APP_VERSION,
        "name": {"short": "Kustos archive", "full": "Kustos archive"},
        "description": {
            "short": "Search your archived mail, read it and restore it into your mailbox.",
            "full": "Search your archived mail, read a message and restore it into this mailbox, "
                    "right from Outlook.",
        },
        "developer": {
            "name": "Kustos",
            "websiteUrl": f"{base}/help/self-service-outlook/",
            "privacyUrl": f"{base}/help/",
            "termsOfUseUrl": f"{base}/help/",
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": "#18212F",
        "localizationInfo": {
            "defaultLanguageTag": "en-us",
            "additionalLanguages": [{"languageTag": "de-de", "file": GERMAN_FILE}],
        },
        "validDomains": [urlsplit(base).netloc],
        "authorization": {"permissions": {"resourceSpecific": [{"name": PERMISSION, "type": "Delegated"}]}},
        "extensions": [{
            "requirements": {"scopes": ["mail"], "capabilities": [{"name": "Mailbox", "minVersion": "1.3"}]},
            "runtimes": [{
                "requirements": {"capabilities": [{"name": "Mailbox", "minVersion": "1.3"}]},
                "id": "TaskPaneRuntime",
                "type": "general",
                "code": {"page": taskpane},
                "lifetime": "short",
                "actions": [{"id": ACTION_ID, "type": "openPage", "view": "kustosPane", "displayName": "Archive",
                             "pinnable": False}],
            }],
            "ribbons": [{
                "contexts": ["mailRead"],
                "tabs": [{
                    "builtInTabId": "TabDefault",
                    "groups": [{
                        "id": "kustosReadGroup",
                        "label": "Kustos",
                        "icons": _icons(base),
                        "controls": [{
                            "id": "kustosOpenPane",
                            "type": "button",
                            "label": "Archive",
                            "icons": _icons(base),
                            "supertip": {"title": "Archive",
                                         "description": "Search your archived mail and restore a message "
                                                        "into this mailbox."},
                            "actionId": ACTION_ID,
                        }],
                    }],
                }],
            }],
        }],
    }


def german_strings() -> dict[str, Any]:
    return {"$schema": LOCALIZATION_SCHEMA_URL, **GERMAN}


def manifest_json(base: str, addin_id: str) -> bytes:
    return json.dumps(manifest(base, addin_id), indent=2, ensure_ascii=False).encode() + b"\n"


def app_package(base: str, addin_id: str) -> bytes:
    """The zip to upload: manifest.json, the colour and outline icons, the German strings (fixed dates,
    so the same address always gives the same bytes)."""
    files = {
        "manifest.json": manifest_json(base, addin_id),
        COLOR_ICON: outlook_icons.color_icon(),
        OUTLINE_ICON: outlook_icons.outline_icon(),
        GERMAN_FILE: json.dumps(german_strings(), indent=2, ensure_ascii=False).encode() + b"\n",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()
