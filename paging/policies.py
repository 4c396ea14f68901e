"""Who may set a queue's paging defaults: managers and admins (people set only their own rules)."""

from accounts.models import User


def may_set_team_defaults(user: User) -> bool:
    return user.is_superuser or user.has_perm("tickets.view_all_tickets")
