"""Items that are download only (chat messages) and other JSON items (channel threads, tasks) get a
readable HTML page next to their JSON in the ZIP: the renderers of ``backup/formats.py``."""

from __future__ import annotations

import json

from kustos.backup.formats import COMPANIONS, message_html, task_html


def test_a_thread_renders_with_its_replies_in_order_and_without_active_content():
    thread = {"id": "1", "subject": "Angebot <Q3>", "createdDateTime": "2026-06-01T10:00:00Z",
              "from": {"user": {"displayName": "Lena"}},
              "body": {"contentType": "html", "content": '<p onclick="steal()">Hallo</p><script>x()</script>'
                                                          '<a href="javascript:alert(1)">link</a>'},
              "attachments": [{"name": "plan.pdf"}],
              "replies": [{"createdDateTime": "2026-06-01T10:05:00Z", "from": {"user": {"displayName": "Max"}},
                           "body": {"contentType": "text", "content": "ok & danke"}},
                          {"createdDateTime": "2026-06-01T10:01:00Z", "from": {"user": {"displayName": "Eva"}},
                           "body": {"contentType": "html", "content": "<p>erste</p>"}, "deletedDateTime": None}]}
    page = message_html(json.dumps(thread).encode()).decode()
    assert page.startswith("<!DOCTYPE html>") and "<title>Angebot &lt;Q3&gt;</title>" in page
    assert "<p>Hallo</p>" in page and "script" not in page and "onclick" not in page and "javascript:" not in page
    assert page.index("<strong>Lena</strong>") < page.index("<strong>Eva</strong>") < page.index("<strong>Max</strong>")
    assert "<p>ok &amp; danke</p>" in page and "Attachments: plan.pdf" in page


def test_a_task_renders_its_status_notes_and_checklist():
    task = {"title": "Milch kaufen", "status": "notStarted", "importance": "high",
            "dueDateTime": {"dateTime": "2026-06-02T00:00:00"}, "body": {"contentType": "text", "content": "1 l"},
            "checklistItems": [{"displayName": "Bio", "isChecked": True}]}
    page = task_html(json.dumps(task).encode()).decode()
    assert "<title>Milch kaufen</title>" in page and "<th>Status</th><td>notStarted</td>" in page
    assert "<th>Due</th><td>2026-06-02T00:00:00</td>" in page and "<p>1 l</p>" in page and "Bio</li>" in page
    assert set(COMPANIONS) == {"channelmessage", "chatmessage", "task"}
