from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import Role, user_role

from . import selectors


@login_required
@require_GET
def oncall(request: HttpRequest) -> HttpResponse:
    """Who is on call for each queue now, and who takes over next: for staff, not requesters."""
    if user_role(request.user) == Role.REQUESTER:
        raise PermissionDenied
    now = timezone.now()
    return render(request, "escalation/oncall.html", {"rows": selectors.oncall_board(now=now), "now": now})
