"""Box emulator (``/oauth2/token``, ``/2.0/...``, uploads under ``/api/2.0/...``), after the Box OpenAPI."""
