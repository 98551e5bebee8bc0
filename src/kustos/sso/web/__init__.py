"""Dashboard pages of single sign-on: a partner's and a customer's identity providers and sign-in policy."""
