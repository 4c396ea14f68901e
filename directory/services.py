"""What the identity provider says about people, applied: their groups give roles and queues (IdentityGroupMapping),
at every SSO sign-in and at once on a SCIM change; SCIM creates, changes and deactivates people and groups.

A person's IdP groups are their SCIM groups, with the groups their sign-in claims carry (the claim at this sign-in,
or the one stored with their social account for a SCIM change) for the groups SCIM does not know: SCIM is the word on
the groups it pushes (a removal holds at once), the sign-in on the others."""

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.access_cache import access_stamp_renew
from accounts.models import User
from accounts.roles import Role
from supportdesk import sql
from tickets.models import QueueMember

from .exceptions import ScimConflict, ScimError
from .models import DirectoryChange, DirectoryGroup, DirectoryUser, IdentityGroupMapping, IdpGrant, ScimToken
from .scim.resources import GroupFields, UserFields, current_group_fields, current_user_fields
from .selectors import scim_key_hash, scim_token_for

UserGroups = Mapping[int, set[str]]
K = TypeVar("K", str, int)


def sign_in_groups(extra_data: dict) -> set[str] | None:
    """The groups a sign-in's claims carry, or None when they carry none at all (no groups claim configured).

    OIDC keeps the userinfo and the ID token (allauth's extra_data), either may hold the claim; SAML keeps the
    assertion's attributes, each a list. A single group may come as a plain string."""
    names = {settings.SSO_GROUPS_CLAIM, settings.SSO_SAML_GROUPS_ATTRIBUTE}
    found: set[str] | None = None
    for claims in (extra_data.get("userinfo"), extra_data.get("id_token"), extra_data):
        if not isinstance(claims, dict):
            continue
        for name in names & claims.keys():
            value = claims[name]
            values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            found = (found or set()) | {str(v) for v in values if isinstance(v, str | int)}
    return found


def _scim_groups(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """Each person's SCIM groups, by name and external id (a mapping may name either)."""
    groups: dict[int, set[str]] = defaultdict(set)
    rows = DirectoryGroup.members.through.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "directorygroup__display_name", "directorygroup__external_id"
    )
    for user_id, name, external_id in rows:
        groups[user_id] |= {name, external_id} - {""}
    return groups


def _with_claims(scim: dict[int, set[str]], claims: dict[int, set[str]]) -> dict[int, set[str]]:
    """SCIM groups, plus the claimed groups SCIM does not know (one query)."""
    claimed = set().union(*claims.values()) if claims else set()
    known = DirectoryGroup.objects.filter(Q(display_name__in=claimed) | Q(external_id__in=claimed))
    scim_names = {n for pair in known.values_list("display_name", "external_id") for n in pair}
    users = scim.keys() | claims.keys()
    return {uid: scim.get(uid, set()) | (claims.get(uid, set()) - scim_names) for uid in users}


def _current_groups(users: Iterable[User]) -> dict[int, set[str]]:
    """What the IdP last said of each person's groups; none for someone deactivated."""
    users = list(users)
    active = [u.pk for u in users if u.is_active]
    claims: dict[int, set[str]] = defaultdict(set)
    for user_id, extra_data in SocialAccount.objects.filter(user_id__in=active).values_list("user_id", "extra_data"):
        claims[user_id] |= sign_in_groups(extra_data) or set()
    groups = _with_claims(_scim_groups(active), claims)
    return {u.pk: groups.get(u.pk, set()) for u in users}


def identity_groups_apply(
    *, user: User, groups: Iterable[str], source: str, provider: str = ""
) -> DirectoryChange | None:
    """Give `user` exactly the roles and queues their IdP `groups` map to (mappings for every provider, and those for
    `provider`); what they hold by hand stays. The change, if any, is recorded and returned."""
    return _groups_apply(groups_by_user={user.pk: set(groups)}, source=source, provider=provider).get(user.pk)


@dataclass
class _Plan(Generic[K]):
    """One person's grants of one kind (roles or queues), brought to what their groups want."""

    add: list[K] = field(default_factory=list)  # to give now: wanted, not held
    remove: list[K] = field(default_factory=list)  # to take back: the IdP added it, and no group wants it now
    record: list[tuple[K, bool]] = field(default_factory=list)  # new grants: (what, whether the IdP added it)
    readd: list[int] = field(default_factory=list)  # grants whose role or queue was taken by hand, given again
    drop: list[int] = field(default_factory=list)  # grants no group wants now


def _plan(*, want: list[K], held: AbstractSet[K], removable: AbstractSet[K], mine: Mapping[K, IdpGrant]) -> _Plan[K]:
    plan: _Plan[K] = _Plan()
    for key in want:
        if key not in held:
            plan.add.append(key)
        if key not in mine:
            plan.record.append((key, key not in held))  # held already (by hand): it stays when the group goes
        elif key not in held:
            plan.readd.append(mine[key].pk)
    for key, grant in mine.items():
        if key not in want:
            plan.drop.append(grant.pk)
            if grant.added and key in removable:
                plan.remove.append(key)
    return plan


@transaction.atomic
def _groups_apply(
    *, groups_by_user: UserGroups, source: str, provider: str, note: str = ""
) -> dict[int, DirectoryChange]:
    """identity_groups_apply for many people in a constant number of queries (a SCIM group of thousands)."""
    user_ids = sorted(groups_by_user)
    # Locked in a fixed order: two sign-ins of one person, or a sign-in and a SCIM change, apply one after the other
    users = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk")}
    names = set().union(*groups_by_user.values()) if groups_by_user else set()
    mappings = list(
        IdentityGroupMapping.objects.filter(
            enabled=True, idp_group__in=names, provider__in={"", provider}
        ).prefetch_related("queues")
    )
    role_group = dict(Group.objects.filter(name__in=Role.values).values_list("name", "pk"))
    grants: dict[int, list[IdpGrant]] = defaultdict(list)
    for grant in IdpGrant.objects.filter(user_id__in=user_ids).select_related("queue"):
        grants[grant.user_id].append(grant)
    through = User.groups.through
    held_roles: dict[int, set[str]] = defaultdict(set)
    role_of = {pk: name for name, pk in role_group.items()}
    for user_id, group_id in through.objects.filter(user_id__in=user_ids, group_id__in=role_of).values_list(
        "user_id", "group_id"
    ):
        held_roles[user_id].add(role_of[group_id])
    held_queues: dict[int, dict[int, int]] = defaultdict(dict)  # queue id -> QueueMember pk
    for pk, user_id, queue_id in QueueMember.objects.filter(user_id__in=user_ids).values_list(
        "pk", "user_id", "queue_id"
    ):
        held_queues[user_id][queue_id] = pk

    queue_name = {q.pk: q.name for m in mappings for q in m.queues.all()}
    queue_name |= {g.queue.pk: g.queue.name for gs in grants.values() for g in gs if g.queue}
    new_grants: list[IdpGrant] = []
    readded: list[int] = []
    dropped: list[int] = []
    roles_add: list = []
    roles_remove = Q(pk__in=[])
    queues_add: list[QueueMember] = []
    queues_remove: list[int] = []
    staff: dict[bool, list[int]] = {True: [], False: []}
    changes: dict[int, DirectoryChange] = {}
    for user_id, user in users.items():
        matched = [m for m in mappings if m.idp_group in groups_by_user[user_id]]
        mine = grants[user_id]
        roles = _plan(
            want=sorted({m.role for m in matched if m.role}),
            # a superuser made by hand is an admin without the group: theirs to keep
            held=held_roles[user_id] | ({Role.ADMIN.value} if user.is_superuser else set()),
            removable=held_roles[user_id],
            mine={g.role: g for g in mine if g.role},
        )
        queues = _plan(
            want=sorted({q.pk for m in matched for q in m.queues.all()}),
            held=held_queues[user_id].keys(),
            removable=held_queues[user_id].keys(),
            mine={g.queue_id: g for g in mine if g.queue_id is not None},
        )
        new_grants += [IdpGrant(user_id=user_id, role=role, added=added) for role, added in roles.record]
        new_grants += [IdpGrant(user_id=user_id, queue_id=queue, added=added) for queue, added in queues.record]
        readded += roles.readd + queues.readd
        dropped += roles.drop + queues.drop
        roles_add += [through(user_id=user_id, group_id=role_group[role]) for role in roles.add]
        roles_remove |= Q(user_id=user_id, group_id__in=[role_group[role] for role in roles.remove])
        staff[True] += [user_id] if Role.ADMIN in roles.add else []
        staff[False] += [user_id] if Role.ADMIN in roles.remove else []
        queues_add += [QueueMember(user_id=user_id, queue_id=queue) for queue in queues.add]
        queues_remove += [held_queues[user_id][queue] for queue in queues.remove]
        granted = [f"role {r}" for r in roles.add] + [f"queue {queue_name[q]}" for q in queues.add]
        revoked = [f"role {r}" for r in roles.remove] + [f"queue {queue_name[q]}" for q in queues.remove]
        if granted or revoked or note:
            changes[user_id] = DirectoryChange(
                user_id=user_id, source=source, granted=granted, revoked=revoked, note=note
            )

    IdpGrant.objects.filter(pk__in=dropped).delete()
    IdpGrant.objects.filter(pk__in=readded).update(added=True)
    IdpGrant.objects.bulk_create(new_grants)
    through.objects.filter(roles_remove).delete()
    through.objects.bulk_create(roles_add, ignore_conflicts=True)
    if queues_remove:
        # In SQL: QueueMember's delete signal renews each person's access stamp one query at a time; done once below
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {QueueMember._meta.db_table} WHERE {sql.any_of('id')}", sql.params([queues_remove])
            )
    QueueMember.objects.bulk_create(queues_add, ignore_conflicts=True)
    for is_admin, ids in staff.items():
        if ids:  # admins reach the Django admin and hold every permission, as roles.user_set_role makes them
            User.objects.filter(pk__in=ids).update(is_staff=is_admin, is_superuser=is_admin)
    DirectoryChange.objects.bulk_create(changes.values())
    access_stamp_renew(uid for uid, change in changes.items() if change.granted or change.revoked)
    return changes


def sign_in_apply(*, user: User, extra_data: dict, provider: str) -> DirectoryChange | None:
    """At every SSO sign-in: the groups its claims carry, with the person's SCIM groups (docstring above)."""
    claims = sign_in_groups(extra_data) or set()
    groups = _with_claims(_scim_groups([user.pk]), {user.pk: claims})[user.pk]
    return identity_groups_apply(user=user, groups=groups, source=f"sign-in through {provider}", provider=provider)


def sign_in_link(*, request, sociallogin) -> None:
    """Join a first SSO sign-in to the account SCIM made for that email, when the IdP vouches for the address: the
    claim says it is verified (OIDC), or the organisation's own IdP signed it (SAML). Any other account with that
    email stays apart (a multi-tenant IdP must not take over a local account)."""
    provider = sociallogin.account.get_provider(request)
    addresses = {a.email.lower() for a in sociallogin.email_addresses if a.verified or provider.id == "saml"}
    user = User.objects.filter(email__iexact=sociallogin.user.email or "", directory_identity__isnull=False).first()
    if user is not None and user.email.lower() in addresses:
        sociallogin.connect(request, user)


# SCIM: the IdP's changes to people and groups. `provider` is the SCIM token's (which mappings apply), `source` says
# which token, for the record.


def _person_fields(*, email: str, user_name: str) -> str:
    email = (email or user_name).strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ScimError(f"“{email}” is not an email address: send one as userName or in emails.") from None
    return email


@transaction.atomic
def directory_user_create(
    *,
    user_name: str,
    email: str,
    first_name: str,
    last_name: str,
    external_id: str,
    active: bool,
    provider: str,
    source: str,
) -> DirectoryUser:
    """A person the IdP provisions; someone already here with that email (made by hand, or by a first SSO sign-in)
    is taken over rather than duplicated."""
    email = _person_fields(email=email, user_name=user_name)
    if DirectoryUser.objects.filter(user_name__iexact=user_name).exists():
        raise ScimConflict(f"A user with userName “{user_name}” exists already.")
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and DirectoryUser.objects.filter(user=user).exists():
        raise ScimConflict(f"A user with the email “{email}” exists already.")
    if user is None:
        user = User.objects.create_user(email=email, first_name=first_name, last_name=last_name)  # no password: SSO
    else:
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
    identity = DirectoryUser.objects.create(user=user, user_name=user_name, external_id=external_id)
    DirectoryChange.objects.create(user=user, source=source, note="provisioned")
    if not active:
        _activity_set(user=user, active=False, provider=provider, source=source)
    return identity


@transaction.atomic
def directory_user_change(
    *, identity: DirectoryUser, change: Callable[[UserFields], UserFields], provider: str, source: str
) -> DirectoryUser:
    """PUT or PATCH: `change` gives the person as the IdP now describes them from how they are, read under a lock
    (two PATCHes at once both hold)."""
    identity = DirectoryUser.objects.select_for_update().select_related("user").get(pk=identity.pk)
    user = identity.user
    new = change(current_user_fields(identity))
    email = _person_fields(email=new.email, user_name=new.user_name)
    if DirectoryUser.objects.filter(user_name__iexact=new.user_name).exclude(pk=identity.pk).exists():
        raise ScimConflict(f"A user with userName “{new.user_name}” exists already.")
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ScimConflict(f"A user with the email “{email}” exists already.")
    identity.user_name, identity.external_id, identity.updated_at = new.user_name, new.external_id, timezone.now()
    identity.save(update_fields=["user_name", "external_id", "updated_at"])
    user.email, user.first_name, user.last_name = email, new.first_name, new.last_name
    user.save(update_fields=["email", "first_name", "last_name"])
    if new.active != user.is_active:
        _activity_set(user=user, active=new.active, provider=provider, source=source)
    return identity


@transaction.atomic
def directory_user_delete(*, identity: DirectoryUser, provider: str, source: str) -> None:
    """DELETE: deactivated as with active false, and no longer the IdP's (the row stays: their tickets name them)."""
    user = identity.user
    DirectoryGroup.members.through.objects.filter(user_id=user.pk).delete()
    identity.delete()
    if user.is_active:
        _activity_set(user=user, active=False, provider=provider, source=source)


def _activity_set(*, user: User, active: bool, provider: str, source: str) -> None:
    """Deactivation holds at once: the person is refused on their next request in every process (accounts'
    access cache), the unusable password ends every session of theirs for good (its hash signs them), their API
    token is deleted, and the roles and queues their groups gave are taken back. Their on-call shifts stay: a
    schedule's owner moves them (on-call gaps show). Reactivation gives back what their groups give."""
    user.is_active = active
    fields = ["is_active"]
    if not active:
        user.set_unusable_password()
        fields.append("password")
        Token.objects.filter(user=user).delete()
    user.save(update_fields=fields)
    _groups_apply(
        groups_by_user=_current_groups([user]),
        source=source,
        provider=provider,
        note="reactivated" if active else "deactivated",
    )


@transaction.atomic
def directory_group_create(
    *, display_name: str, external_id: str, member_ids: AbstractSet[int], provider: str, source: str
) -> DirectoryGroup:
    if not display_name.strip():
        raise ScimError("A group needs a displayName.")
    group = DirectoryGroup.objects.create(display_name=display_name, external_id=external_id)
    _members_set(group=group, member_ids=member_ids, renamed=False, provider=provider, source=source)
    return group


@transaction.atomic
def directory_group_change(
    *, group: DirectoryGroup, change: Callable[[GroupFields], GroupFields], provider: str, source: str
) -> DirectoryGroup:
    """PUT or PATCH: `change` gives the group's name and members as the IdP now has them from how they are, read
    under a lock (Entra ID adding members while Okta removes others both hold)."""
    group = DirectoryGroup.objects.select_for_update().get(pk=group.pk)
    new = change(current_group_fields(group))
    if not new.display_name.strip():
        raise ScimError("A group needs a displayName.")
    renamed = (new.display_name, new.external_id) != (group.display_name, group.external_id)
    group.display_name, group.external_id, group.updated_at = new.display_name, new.external_id, timezone.now()
    group.save(update_fields=["display_name", "external_id", "updated_at"])
    _members_set(group=group, member_ids=new.member_ids, renamed=renamed, provider=provider, source=source)
    return group


@transaction.atomic
def directory_group_delete(*, group: DirectoryGroup, provider: str, source: str) -> None:
    members = set(group.members.values_list("pk", flat=True))
    group.delete()
    _members_apply(members, provider=provider, source=source)


def _members_set(
    *, group: DirectoryGroup, member_ids: AbstractSet[int], renamed: bool, provider: str, source: str
) -> None:
    through = DirectoryGroup.members.through
    before = set(through.objects.filter(directorygroup=group).values_list("user_id", flat=True))
    known = set(DirectoryUser.objects.filter(user_id__in=member_ids).values_list("user_id", flat=True))
    if unknown := member_ids - known:
        raise ScimError(f"No SCIM user has the id {', '.join(sorted(map(str, unknown)))}.")
    through.objects.filter(directorygroup=group, user_id__in=before - member_ids).delete()
    through.objects.bulk_create([through(directorygroup=group, user_id=uid) for uid in member_ids - before])
    # a renamed group may now match another mapping, for all its members; else only those who came or went
    _members_apply((before | member_ids) if renamed else (before ^ member_ids), provider=provider, source=source)


def _members_apply(user_ids: set[int], *, provider: str, source: str) -> None:
    if user_ids:
        users = User.objects.filter(pk__in=user_ids).only("pk", "is_active")
        _groups_apply(groups_by_user=_current_groups(users), source=source, provider=provider)


@transaction.atomic
def scim_token_create(*, name: str, provider: str = "") -> tuple[ScimToken, str]:
    """A new token for an IdP's SCIM client; the key is returned once and only its hash kept."""
    key = secrets.token_urlsafe(32)
    token = ScimToken.objects.create(name=name, provider=provider, key_hash=scim_key_hash(key), key_prefix=key[:8])
    return token, key


_LAST_USED_EVERY = timedelta(hours=1)  # for the admin's list: not a write per request


def scim_token_authenticate(*, key: str) -> ScimToken | None:
    """The token a SCIM client presents, if it is one, noted as used."""
    token = scim_token_for(key)
    now = timezone.now()
    if token is not None and (token.last_used_at is None or token.last_used_at < now - _LAST_USED_EVERY):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
