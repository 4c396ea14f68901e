from allauth.account.signals import user_logged_in
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.signals import pre_social_login
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="directory.sign_in")
def sign_in_groups_apply(sender, request, user, sociallogin=None, **kwargs) -> None:
    """Every SSO sign-in (OIDC or SAML; after MFA, when asked) sets the person's roles and queues from their groups.
    A password sign-in carries no groups and changes nothing."""
    if sociallogin is not None:
        account = sociallogin.account
        services.sign_in_apply(user=user, extra_data=account.extra_data or {}, provider=account.provider)


@receiver(pre_social_login, dispatch_uid="directory.sign_in_link")
def scim_person_link(sender, request, sociallogin, **kwargs) -> None:
    """A person SCIM provisioned signs in for the first time: their SSO account joins the one SCIM made, rather
    than a sign-up that would find the email taken."""
    # a sign-in only: connecting an account to the person already signed in is theirs to decide
    if sociallogin.state.get("process") == AuthProcess.LOGIN and not sociallogin.is_existing:
        services.sign_in_link(request=request, sociallogin=sociallogin)
