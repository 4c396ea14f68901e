from django.contrib.auth.backends import ModelBackend
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.exceptions import PermissionDenied

from .access_cache import access_cached, person_cached
from .mfa import MFA_REQUIRED_MESSAGE, mfa_enrolment_missing


class CachedPermissionsBackend(ModelBackend):
    """Django's model backend, with the person and their permissions cached across requests (access_cache.py)."""

    def get_user(self, user_id):
        user = person_cached(user_id, lambda: super(CachedPermissionsBackend, self).get_user(user_id))
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = access_cached(
                user_obj, "permissions", lambda: super(CachedPermissionsBackend, self).get_all_permissions(user_obj)
            )
        return user_obj._perm_cache


class TokenAuthentication(DrfTokenAuthentication):
    """DRF's token authentication (the token and its owner in one query, never cached: a renewed or deleted
    token fails at once everywhere), holding people to REQUIRE_MFA as the pages do."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if mfa_enrolment_missing(user):
            raise PermissionDenied(MFA_REQUIRED_MESSAGE)
        return user, token
