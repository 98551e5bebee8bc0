"""Microsoft identity platform and Microsoft Graph v1.0 (mail) emulation."""
