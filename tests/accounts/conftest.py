import pytest

from .saml_idp import ANA, TestIdP, key_and_cert


@pytest.fixture(scope="session")
def idp_keys() -> tuple[str, str]:
    return key_and_cert("Test IdP")  # RSA key generation is the slow part: once per run


@pytest.fixture
def idp(settings, client, idp_keys) -> TestIdP:
    """The test IdP as the portal's one SAML app (slug test-idp), with SSO accounts made for example.com."""
    test_idp = TestIdP(people=[ANA], key=idp_keys[0], cert=idp_keys[1])
    saml = {**settings.SOCIALACCOUNT_PROVIDERS["saml"], "APPS": [test_idp.app()]}
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": saml}
    settings.SSO_SIGNUP_DOMAINS, settings.ACCOUNT_ALLOW_SIGNUP = ["example.com"], False
    client.defaults["HTTP_HOST"] = "localhost"  # as browsers send it (python3-saml reads the header)
    return test_idp
