"""A read-only IMAP4rev1 server over the archive.

The protocol core (``protocol``, ``sections``, ``structure``, ``searchkeys``, ``session``, ``server``) is
framework-free: it talks to an ``Authenticator``/``Account`` (``backend``) with plain arguments. The
Django side (logins, visibility, message bytes, search, audit) is ``adapter``; ``service`` builds a
server from the settings for `kustos imapd` and `kustos serve --imap-port`.
"""
