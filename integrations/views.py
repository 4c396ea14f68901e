"""The account pages and the AWS panel on a ticket page: each shows several domains, so they live above them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.types import AuthedHttpRequest
from supportdesk.errors import DomainError
from tickets.selectors import ticket_detail

from . import selectors, services
from .accounts import selectors as account_selectors
from .findings import services as findings_services


@login_required
@permission_required("integrations.view_awsaccount", raise_exception=True)
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/account_list.html", {"accounts": account_selectors.aws_account_list()})


@login_required
@permission_required("integrations.view_awsaccount", raise_exception=True)
@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = account_selectors.aws_account_detail(account_id=account_id)
    activity = selectors.account_activity(account=account)
    return render(request, "integrations/account_detail.html", {"account": account, "activity": activity})


@login_required
@permission_required("integrations.change_awsaccount", raise_exception=True)
@require_POST
def account_check(request: HttpRequest, account_id: int) -> HttpResponse:
    account = account_selectors.aws_account_detail(account_id=account_id)
    services.account_check_queue(account=account)
    messages.success(request, f"Checking and polling {account.name}; refresh in a moment.")
    return redirect("aws-account-detail", account_id=account.pk)


@login_required
@require_GET
def ticket_aws_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The AWS side of a ticket, loaded into its page by htmx: findings, or the Health event and its window."""
    return render(
        request, "integrations/_ticket_aws.html", {"aws": selectors.ticket_aws(user=request.user, reference=reference)}
    )


@login_required
@require_POST
def ticket_accept_risk(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Accept what a Trusted Advisor ticket flags as a risk (the panel's confirm step carries the reason)."""
    ticket = ticket_detail(user=request.user, reference=reference)  # 404 for a ticket out of sight
    try:
        note = request.POST.get("note", "")
        findings_services.finding_group_risk_accept(ticket=ticket, actor=request.user, note=note)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{ticket.reference} is resolved as an accepted risk; Trusted Advisor excludes it.")
    return redirect(ticket)
