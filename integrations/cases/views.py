"""Escalate to AWS: the form that opens a ticket's AWS Support case. Thin: the cases service decides everything."""

import re
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.types import AuthedHttpRequest
from awsgateway.errors import AwsError
from awsgateway.support import BODY_LIMIT, CC_LIMIT, SupportService
from supportdesk.errors import DomainError
from tickets import policies

from .models import IssueType, SupportCase
from .services import CaseFieldInvalid, opening

_TOPIC_FIELDS = {"service_code": "topic", "category_code": "topic"}  # the service's fields, as this form shows them


class SupportCaseForm(forms.Form):
    issue_type = forms.ChoiceField(label="Type of case", choices=IssueType.choices, initial=IssueType.TECHNICAL)
    topic = forms.ChoiceField(label="AWS service and category")
    severity_code = forms.ChoiceField(label="Severity")
    subject = forms.CharField(max_length=255)
    body = forms.CharField(label="Message to AWS", max_length=BODY_LIMIT, widget=forms.Textarea(attrs={"rows": 10}))
    cc_emails = forms.CharField(
        label="Cc", required=False, help_text=f"Up to {CC_LIMIT} email addresses, separated by commas."
    )

    def __init__(self, *args, services: list[SupportService], severities: list[str], **kwargs) -> None:
        """``services``: those of the issue type chosen (the page asks again when the type changes)."""
        super().__init__(*args, **kwargs)
        # One select grouped by service: the category belongs to it, and no script is needed to pick both
        topic = cast(forms.ChoiceField, self.fields["topic"])
        topic.choices = [
            (s.name, [(f"{s.code}/{code}", name) for code, name in s.categories]) for s in services if s.categories
        ]
        if not topic.choices:
            topic.help_text = "AWS lists no service of this type for the account: open the case in the AWS console."
        cast(forms.ChoiceField, self.fields["severity_code"]).choices = [
            (c, opening.severity_name(c)) for c in reversed(severities)
        ]

    def clean_cc_emails(self) -> list[str]:
        return [e for e in re.split(r"[\s,;]+", self.cleaned_data["cc_emails"]) if e]

    def service_arguments(self) -> dict:
        service_code, category_code = self.cleaned_data["topic"].split("/", 1)
        data = {k: v for k, v in self.cleaned_data.items() if k != "topic"}
        return {"service_code": service_code, "category_code": category_code, **data}


def _issue_type(request: AuthedHttpRequest) -> str:
    """The type whose services the form lists: as chosen, or technical (a wrong one is the form's error to give)."""
    chosen = (request.POST if request.method == "POST" else request.GET).get("issue_type", "")
    return chosen if chosen in IssueType.values else IssueType.TECHNICAL


@login_required
@require_http_methods(["GET", "POST"])
def support_case_form(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """The form; an htmx GET with another ``issue_type`` gets the service list of that type only."""
    ticket = opening.case_ticket(user=request.user, reference=reference)  # 404 for requesters and unseen tickets
    if not policies.may_work(request.user, ticket):
        raise PermissionDenied("Only agents of this ticket's queue may escalate it to AWS.")
    account = opening.case_account(ticket)
    existing = SupportCase.objects.filter(ticket=ticket).first()
    context = {"ticket": ticket, "refusal": opening.case_refusal(ticket=ticket, account=account, case=existing)}
    if not context["refusal"]:
        assert account is not None  # case_refusal refuses a ticket without one
        issue_type = _issue_type(request)
        try:
            services = opening.case_services(account=account, issue_type=issue_type)
            options = {"services": services, "severities": account.case_severities}
        except AwsError as exc:
            context["refusal"] = f"AWS did not list its services: {exc}"
    if context["refusal"]:
        return render(request, "integrations/case_form.html", context, status=400 if request.method == "POST" else 200)
    assert account is not None  # as above
    if request.method == "GET":
        draft = opening.case_draft(ticket=ticket, account=account)
        initial = {"subject": draft.subject, "body": draft.body, "severity_code": draft.severity_code}
        form = SupportCaseForm(initial={**initial, "issue_type": issue_type}, **options)
        if request.headers.get("HX-Target") == "case-topic":  # the type changed: its list only (not a boosted visit)
            return render(request, "integrations/_case_topic.html", {"form": form})
    else:
        form = SupportCaseForm(request.POST, **options)
        if form.is_valid():
            response = _open(request, ticket, form)
            if response is not None:
                return response
    context.update(form=form, account=account)
    return render(request, "integrations/case_form.html", context, status=400 if form.errors else 200)


def _open(request: AuthedHttpRequest, ticket, form: SupportCaseForm) -> HttpResponse | None:
    try:
        case = opening.support_case_open(ticket=ticket, actor=request.user, **form.service_arguments())
    except CaseFieldInvalid as exc:
        form.add_error(_TOPIC_FIELDS.get(exc.field, exc.field), str(exc))
        return None
    except DomainError as exc:
        form.add_error(None, str(exc))
        return None
    except AwsError as exc:
        form.add_error(None, f"AWS opened nothing ({exc}). Try again in a minute.")
        return None
    if case.state == SupportCase.State.OPEN:
        messages.success(request, f"AWS Support case {case} opened for {ticket.reference} (case id {case.case_id}).")
    else:
        messages.warning(request, f"AWS did not answer in time. {case.error}")
    return redirect(ticket)
