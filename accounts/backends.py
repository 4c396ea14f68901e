from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .access_cache import access_cached, person_cached

TOKEN_KEY = "access:token:{}"


class CachedPermissionsBackend(ModelBackend):
    """Django's model backend, with the person and their permission set cached across requests."""

    def get_user(self, user_id):
        user = person_cached(user_id, lambda: self._load(user_id))
        return user if self.user_can_authenticate(user) else None

    def _load(self, user_id):
        return super().get_user(user_id)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = access_cached(
                user_obj, "permissions", lambda: super(CachedPermissionsBackend, self).get_all_permissions(user_obj)
            )
        return user_obj._perm_cache


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; the token's owner is remembered, and forgotten when the token goes."""

    def authenticate_credentials(self, key):
        user_id = cache.get(TOKEN_KEY.format(key))
        if user_id is None:
            token = Token.objects.filter(key=key).only("user_id").first()
            if token is None:
                raise AuthenticationFailed("Invalid token.")
            user_id = token.user_id
            cache.set(TOKEN_KEY.format(key), user_id, timeout=300)
        user = CachedPermissionsBackend().get_user(user_id)
        if user is None:
            raise AuthenticationFailed("User inactive or deleted.")
        return user, key
