"""Dropbox Business (team app) emulator, faithful to the Stone spec in ``shared/corpus/api/dropbox``.

``store.py`` keeps teams, members, namespaces (a member's home, a team folder or a shared folder)
with their file trees and change sequence, file members, shared links and property groups, and
the team's property templates; ``api.py`` answers the RPC routes (``/2/team/...``, ``/2/files/...``,
``/2/auth/token/revoke``), the content routes (``files/download``, ``files/upload``) and
``/oauth2/token`` (``client_credentials`` and ``refresh_token`` grants, tokens limited to the app's
permissions: ``missing_scope``); ``sharing_api.py`` the ``/2/sharing/...`` routes and
``properties_api.py`` the ``/2/file_properties/...`` routes; ``seed.py`` is the generic
seed/items/remove control for service ``dropbox``, kind ``file``.

Simplification: a member's ``files/list_folder`` lists a mounted shared folder's mount point but not
its contents (as with ``include_mounted_folders: false``, which the connector always asks for); the
contents are read with ``Dropbox-API-Path-Root`` set to the shared folder's namespace, and a path
below the mount point (download, upload, metadata, sharing calls) resolves into the shared folder.
A change to a file's members or properties makes no new revision (no ``list_folder`` change).
"""
