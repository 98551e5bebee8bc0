"""Single sign-on: OpenID Connect (Entra ID, Google, any discovery URL) and LDAP identity providers."""
