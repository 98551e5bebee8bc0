"""fakecloud: protocol-faithful emulators of the cloud APIs Kustos talks to.

Test and demo infrastructure only; nothing under ``src/`` imports it. One process
serves every emulated service on one port, told apart by path prefix exactly as the
real hosts use them, so a single base URL stands in for all real hosts:

* ``/{tenant}/oauth2/v2.0/token``            Microsoft identity platform (login.microsoftonline.com)
* ``/v1.0/...``                               Microsoft Graph v1.0 (graph.microsoft.com)
* ``/token``                                  Google OAuth 2.0 token endpoint (oauth2.googleapis.com)
* ``/gmail/v1/...``                           Gmail API (gmail.googleapis.com)
* ``/admin/directory/v1/...``                 Admin SDK Directory API (admin.googleapis.com)
* ``/_layouts/15/download.aspx``             SharePoint/OneDrive pre-authenticated download URLs
* ``/up/{session}``                           OneDrive upload-session URLs
* ``/_fakecloud/...``                         control API: seed data, inject faults, read stats

Run it with ``python -m fakecloud --port P``; drive it from tests with
:class:`fakecloud.client.Control` or in-process through :class:`fakecloud.app.FakeCloud`.
"""
