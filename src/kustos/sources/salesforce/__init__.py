"""Salesforce backup through the REST API (connected app, OAuth 2.0 JWT bearer flow).

``session.py`` signs in and talks to the org (throttling: ``REQUEST_LIMIT_EXCEEDED``);
``backup.py`` is the connector of the ``data`` service (every object as records, files and
attachments as bytes, getUpdated/getDeleted windows); ``restore.py`` writes records back.
"""
