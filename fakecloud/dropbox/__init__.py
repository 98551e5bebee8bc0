"""Dropbox Business (team app) emulator, faithful to the Stone spec in ``shared/corpus/api/dropbox``.

``store.py`` keeps teams, members, namespaces (a member's home or a team folder) with their file
trees and change sequence; ``api.py`` answers the RPC routes (``/2/team/...``, ``/2/files/...``),
the content routes (``files/download``, ``files/upload``) and ``/oauth2/token``; ``seed.py`` is the
generic seed/items/remove control for service ``dropbox``, kind ``file``.
"""
