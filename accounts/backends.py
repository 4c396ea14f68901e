from django.contrib.auth.backends import ModelBackend

from .access_cache import access_cached


class CachedPermissionsBackend(ModelBackend):
    """Django's model backend, with each person's permission set cached across requests."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = access_cached(
                user_obj, "permissions", lambda: super(CachedPermissionsBackend, self).get_all_permissions(user_obj)
            )
        return user_obj._perm_cache
