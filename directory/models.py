from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.roles import Role
from tickets.models import Queue


class IdentityGroupMapping(models.Model):
    """An identity provider's group, and the role and queues its members get (directory.services)."""

    idp_group = models.CharField(
        "IdP group",
        max_length=256,
        help_text="Exactly as the identity provider sends it: the group's name (Okta, Google) or its object id "
        "(Entra ID sends ids unless told to send names). A SCIM group matches by its name or its external id.",
    )
    provider = models.CharField(
        max_length=100,
        blank=True,
        help_text="Only for sign-ins through this provider id (and SCIM tokens naming it); empty for every one.",
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True, help_text="Empty: queues only.")
    queues = models.ManyToManyField(Queue, blank=True, related_name="+", help_text="Members work these queues.")
    enabled = models.BooleanField(default=True, help_text="Off: grants nothing, so its members lose what it gave.")

    class Meta:
        ordering = ["idp_group", "provider"]
        constraints = [models.UniqueConstraint(fields=["idp_group", "provider"], name="identity_group_mapping_once")]

    def __str__(self) -> str:
        where = f" ({self.provider})" if self.provider else ""
        return f"{self.idp_group}{where}"


class IdpGrant(models.Model):
    """A role or a queue someone holds because of their IdP groups. `added` says the IdP added it: a role or queue
    they held by hand before stays theirs when the group goes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    added = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], condition=~Q(role=""), name="idp_grant_role_once"),
            models.UniqueConstraint(
                fields=["user", "queue"], condition=Q(queue__isnull=False), name="idp_grant_queue_once"
            ),
            models.CheckConstraint(
                condition=(Q(role="") & Q(queue__isnull=False)) | (~Q(role="") & Q(queue__isnull=True)),
                name="idp_grant_role_or_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role or self.queue_id}"


class DirectoryChange(models.Model):
    """What the directory changed about someone, and why: append-only, for the admin."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=120)  # "sign-in through okta", "SCIM (Okta token)"
    granted = models.JSONField(default=list)  # ["role agent", "queue Platform"]
    revoked = models.JSONField(default=list)
    note = models.CharField(max_length=200, blank=True)  # "deactivated", "reactivated"

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="directory_change_user")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.at:%Y-%m-%d %H:%M}: {self.source}"


class DirectoryUser(models.Model):
    """A person the IdP provisions through SCIM: the SCIM User resource is this row and its user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_identity")
    user_name = models.CharField(max_length=254)  # SCIM userName: Okta's login, Entra's UPN; not always the email
    external_id = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # userName is caseExact false (RFC 7643 §4.1.1)
        constraints = [models.UniqueConstraint(Lower("user_name"), name="directory_user_name_once")]

    def __str__(self) -> str:
        return self.user_name


class DirectoryGroup(models.Model):
    """A group the IdP pushes through SCIM, with its members; mappings match its name or external id."""

    display_name = models.CharField(max_length=256)
    external_id = models.CharField(max_length=256, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="directory_groups")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name", "pk"]

    def __str__(self) -> str:
        return self.display_name


class ScimToken(models.Model):
    """A bearer token an IdP's SCIM client presents. Only its SHA-256 is kept: it is shown once, when made."""

    name = models.CharField(max_length=100, help_text="Which IdP holds it, e.g. “Okta production”.")
    provider = models.CharField(
        max_length=100,
        blank=True,
        help_text="The SSO provider id whose mappings its changes use; empty: the shared ones.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=8, editable=False)  # to tell tokens apart in the admin
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"
