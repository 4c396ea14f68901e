from .roles import user_role


def role(request) -> dict:
    """What the layout needs to know about the person: their role and what they may do."""
    user = request.user
    if not user.is_authenticated:
        return {"role": ""}
    return {
        "role": user_role(user),
        "can_work_tickets": user.has_perm("tickets.work_ticket"),
        "can_view_all_tickets": user.has_perm("tickets.view_all_tickets"),
    }
