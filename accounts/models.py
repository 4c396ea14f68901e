from typing import ClassVar
from uuid import uuid4

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone


class UserManager(DjangoUserManager):
    """Email is the login: no usernames to invent or forget."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):  # type: ignore[override]  # email, no username
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):  # type: ignore[override]  # the same
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # the email is the login
    email = models.EmailField("email address", unique=True)
    # Keys the cached access facts (accounts/access_cache.py); renewed when the person's access may change
    access_stamp = models.UUIDField(default=uuid4, editable=False)
    # An IANA name (Europe/Paris); empty follows the browser's zone (accounts.middleware.TimeZoneMiddleware)
    time_zone = models.CharField(max_length=64, blank=True, default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        ordering = ["email"]

    def save(self, *args, update_fields=None, **kwargs):
        # Any save renews the stamp, even from a copy read before a change of groups or queues: writing that
        # copy's old stamp back would bring the old access facts back to life.
        self.access_stamp = uuid4()
        if update_fields is not None:
            update_fields = {*update_fields, "access_stamp"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class LoginFailure(models.Model):
    """A wrong password, counted in the database so that every process sees the same count (accounts/selectors.py)."""

    ip = models.GenericIPAddressField()
    login_hash = models.CharField(max_length=64)  # sha256 of the address typed: a password typed there stays unknown
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["ip", "at"], name="login_failure_ip"),
            models.Index(fields=["login_hash", "ip", "at"], name="login_failure_pair"),
        ]

    def __str__(self) -> str:
        return f"Wrong password from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
