import pytest

from .saml_idp import ANA, TestIdP, portal_uses


@pytest.fixture
def idp(settings, client) -> TestIdP:
    """The test IdP as the portal's one SAML app (slug test-idp), with SSO accounts made for example.com."""
    test_idp = TestIdP(people=[ANA])
    portal_uses(settings, test_idp)
    client.defaults["HTTP_HOST"] = "localhost"  # as browsers send it (python3-saml reads the header)
    return test_idp
