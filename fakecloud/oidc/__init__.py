"""OpenID Connect provider emulation: Microsoft Entra ID (v2.0 endpoints) and Google.

``keys`` signs ID tokens (RS256, JWKS with ``kid``, rotation), ``state`` holds clients, users,
codes and tokens, ``flow`` implements authorize + token (authorization code with PKCE),
``routes`` maps the real paths and the control API onto them.
"""
