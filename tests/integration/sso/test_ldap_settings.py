"""LDAP provider settings and directory attributes, without a server: TLS is required, filters are
checked, and mailbox addresses come from ``mail`` and SMTP ``proxyAddresses`` only."""

from __future__ import annotations

import pytest

from kustos.sso.services import ldap_auth

BASE = {"url": "ldaps://dc1.corp.test", "search_base": "dc=corp,dc=test", "bind_dn": "cn=svc,dc=corp,dc=test"}


def test_addresses_primary_first_then_smtp_aliases_lower_case_without_duplicates():
    proxies = ["smtp:Alias@Corp.test", "SMTP:Alice@corp.test", "X500:/o=corp/cn=alice", "sip:alice@corp.test",
               "smtp:alias@corp.test"]
    assert ldap_auth.addresses_of(["Alice@Corp.test"], proxies) == ["alice@corp.test", "alias@corp.test"]
    # No mail attribute: the primary (upper-case SMTP:) proxy address comes first.
    assert ldap_auth.addresses_of([], ["smtp:b@corp.test", "SMTP:a@corp.test"]) == ["a@corp.test", "b@corp.test"]


@pytest.mark.parametrize(("config", "error"), [
    ({"url": "ldap://dc1.corp.test"}, "plain LDAP is refused"),
    ({"url": "http://dc1.corp.test"}, "is not valid"),
    ({"url": "ldaps://"}, "is not valid"),
    ({"search_base": ""}, "search_base is missing"),
    ({"user_filter": "(mail=alice@corp.test)"}, "must contain {email}"),
    ({"group_filter": "(member=x)"}, "must contain {dn}"),
    ({"timeout_seconds": "soon"}, "whole number"),
    ({"email_attribute": "mail)(cn=*"}, "not an attribute name"),
])
def test_bad_settings_are_refused_with_a_line_naming_the_problem(config, error):
    with pytest.raises(ldap_auth.LdapConfigError, match=error.replace("{", r"\{").replace("}", r"\}")):
        ldap_auth.LdapSettings.from_config({**BASE, **config}, "pw")


def test_settings_defaults_and_starttls():
    s = ldap_auth.LdapSettings.from_config({**BASE, "url": "ldap://dc1.corp.test:3389", "start_tls": True}, "pw")
    assert (s.start_tls, s.timeout, s.email_attribute) == (True, 10, "mail")
    assert s.user_filter == "(|(mail={email})(userPrincipalName={email}))"
    assert "pw" not in repr(s)  # the bind password never appears in a representation
    ldaps = ldap_auth.LdapSettings.from_config({**BASE, "start_tls": True, "email_attribute": "userPrincipalName",
                                                "timeout_seconds": 500}, "pw")
    assert ldaps.start_tls is False and ldaps.timeout == 120  # ldaps:// is TLS already; timeout bounded
    assert ldaps.user_filter.startswith("(|(userPrincipalName={email})")
