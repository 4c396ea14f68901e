"""SAML sign-in in Chromium: "Continue with Test IdP" -> the test IdP's page -> back, signed in as the person the
signed assertion names. The IdP is a tiny HTTP server on a free port (tests/accounts/saml_idp.py)."""

import pytest
from playwright.sync_api import expect

from ..accounts.saml_idp import ANA, REFEDS_MFA, TestIdP, key_and_cert, portal_uses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def served_idp(settings):
    idp = TestIdP(people=[ANA])
    running = idp.serve()
    portal_uses(settings, idp)
    yield idp
    running.stop()


def test_sign_in_through_the_identity_provider_and_back(browser, live_server, served_idp):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Continue with Test IdP")
    expect(page.locator("h1")).to_have_text("Test IdP: choose who signs in")
    page.click("text=Sign in as ana@example.com")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("body")).to_contain_text("Ana Lima")


def test_with_mfa_required_the_idps_mfa_lets_them_straight_in(browser, live_server, served_idp, settings):
    settings.REQUIRE_MFA, settings.SSO_TRUST_IDP_MFA = "all", True
    served_idp.authn_context = REFEDS_MFA
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Continue with Test IdP")
    page.click("text=Sign in as ana@example.com")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/tickets/")
    expect(page).to_have_url(f"{live_server.url}/tickets/")


def test_without_the_idps_mfa_they_are_sent_to_set_one_up(browser, live_server, served_idp, settings):
    settings.REQUIRE_MFA, settings.SSO_TRUST_IDP_MFA = "all", True
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Continue with Test IdP")
    page.click("text=Sign in as ana@example.com")
    page.wait_for_url("**/accounts/reauthenticate/code/**")  # allauth confirms by email before adding one
    expect(page.locator("body")).to_contain_text("ana@example.com")


def test_a_forged_answer_is_refused_with_a_page_that_says_why(browser, live_server, served_idp):
    served_idp.key, served_idp.cert = key_and_cert("Not the IdP")  # the portal still trusts the real certificate
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=Continue with Test IdP")
    page.click("text=Sign in as ana@example.com")
    expect(page.locator("h1")).to_have_text("Sign-in failed")
    expect(page.locator(".auth-card")).to_contain_text("Signature validation failed")
    page.click("text=Back to sign in")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
