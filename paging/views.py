"""My paging (numbers and rules), the team defaults, and the one-tap acknowledge page. htmx gets partials."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Role, user_role
from accounts.types import AuthedHttpRequest
from notifications.slack import slack_configured
from supportdesk.errors import DomainError
from tickets.models import Queue

from . import policies, selectors, services
from .forms import TIGHTEN_HELP, CodeForm, NumberForm, SlackForm, StepForm
from .models import Band, ContactMethod, Medium, NotificationRule

SETTINGS_PARTIAL = "paging/_settings.html"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _settings_context(request: AuthedHttpRequest, **forms: Form) -> dict:
    user = request.user
    methods = selectors.contact_methods(user=user)
    rules = list(selectors.personal_rules(user=user))
    defaults = list(selectors.team_defaults(queues=selectors.queues_of(user)))
    bands = [
        {
            "band": band,
            "label": band.label,
            "rules": [r for r in rules if r.band == band],
            "defaults": {
                queue: selectors.describe(steps) for queue, steps in selectors.defaults_by_queue(defaults, band).items()
            },
        }
        for band in Band
    ]
    context = {
        "methods": [
            _contact_row(medium, label, methods) for medium, label in (("sms", "SMS"), ("voice", "Phone calls"))
        ],
        "slack": {"configured": slack_configured(), "row": _contact_row(Medium.SLACK, "Slack DM", methods)},
        "bands": bands,
        "number_form": NumberForm(),
        "slack_form": SlackForm(),
        "code_form": CodeForm(),
        "step_form": StepForm(),
        "tighten_help": TIGHTEN_HELP,
        "team_queues": Queue.objects.order_by("name") if policies.may_set_team_defaults(user) else [],
    }
    return context | forms


def _contact_row(medium: str, label: str, methods: dict[str, ContactMethod]) -> dict:
    slack = medium == Medium.SLACK
    return {
        "medium": medium,
        "label": label,
        "method": methods.get(medium),
        "noun": "account" if slack else "number",
        "waiting": "Waiting for the code sent to you in Slack" if slack else "Waiting for the code",
    }


def _answer(request: AuthedHttpRequest, failed: bool, **forms: Form) -> HttpResponse:
    """The settings again: the partial for htmx (400 when refused, so the form shows its error), else the page."""
    if not failed and not _is_htmx(request):
        return redirect("paging")
    template = SETTINGS_PARTIAL if _is_htmx(request) else "paging/settings.html"
    return render(request, template, _settings_context(request, **forms), status=400 if failed else 200)


def _apply(request: AuthedHttpRequest, form: Form, name: str, act: Callable[[], object], field: str | None = None):
    """Run the service if the form is valid; a refusal goes on the form, next to its field when it names one."""
    _engineer(request)
    if form.is_valid():
        try:
            act()
            return _answer(request, False)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else field, str(exc))
    return _answer(request, True, **{name: form})


def _engineer(request: AuthedHttpRequest) -> None:
    """Paging is for the people who work tickets; requesters are never paged."""
    if user_role(request.user) == Role.REQUESTER:
        raise PermissionDenied


@login_required
@require_GET
def paging_settings(request: AuthedHttpRequest) -> HttpResponse:
    _engineer(request)
    return render(request, "paging/settings.html", _settings_context(request))


@login_required
@require_POST
def number_set(request: AuthedHttpRequest) -> HttpResponse:
    form = NumberForm(request.POST)
    return _apply(
        request,
        form,
        "number_form",
        lambda: services.contact_method_set(
            user=request.user, medium=form.cleaned_data["medium"], phone=form.cleaned_data["phone"]
        ),
    )


@login_required
@require_POST
def slack_set(request: AuthedHttpRequest) -> HttpResponse:
    """Link one's Slack account: by the member ID typed, or found by one's email address when left empty."""
    form = SlackForm(request.POST)
    return _apply(
        request,
        form,
        "slack_form",
        lambda: services.contact_method_slack_set(user=request.user, slack_user_id=form.cleaned_data["slack_user_id"]),
    )


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _method(request: AuthedHttpRequest, medium: str) -> ContactMethod:
    return get_object_or_404(ContactMethod, user=request.user, medium=medium)  # only one's own: others' are 404


@login_required
@require_POST
def number_verify(request: AuthedHttpRequest, medium: str) -> HttpResponse:
    method, form = _method(request, medium), CodeForm(request.POST)
    return _apply(
        request,
        form,
        "code_form",
        lambda: services.contact_method_verify(method=method, code=form.cleaned_data["code"]),
    )


@login_required
@require_POST
def number_resend(request: AuthedHttpRequest, medium: str) -> HttpResponse:
    method, form = _method(request, medium), CodeForm({"code": "-"})
    return _apply(request, form, "code_form", lambda: services.contact_method_code_resend(method=method), "code")


@login_required
@require_POST
def number_delete(request: AuthedHttpRequest, medium: str) -> HttpResponse:
    method = _method(request, medium)
    remove = lambda: services.contact_method_delete(method=method)  # noqa: E731
    if method.medium == Medium.SLACK:
        return _apply(
            request, SlackForm({"slack_user_id": method.slack_user_id}), "slack_form", remove, "slack_user_id"
        )
    return _apply(request, NumberForm({"medium": medium, "phone": method.phone}), "number_form", remove, "phone")


@login_required
@require_POST
def rule_add(request: AuthedHttpRequest) -> HttpResponse:
    form = StepForm(request.POST)
    return _apply(
        request,
        form,
        "step_form",
        lambda: services.rule_add(
            user=request.user, band=form.cleaned_data["band"], delay=form.delay, medium=form.cleaned_data["medium"]
        ),
    )


@login_required
@require_POST
def rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(NotificationRule, pk=pk, user=request.user)
    form = StepForm({"band": rule.band, "minutes": 0, "medium": rule.medium})
    return _apply(request, form, "step_form", lambda: services.rule_remove(rule=rule), "minutes")


@login_required
@require_POST
def rules_reset(request: AuthedHttpRequest, band: str) -> HttpResponse:
    _engineer(request)
    if band not in Band.values:
        raise Http404
    services.rules_reset(user=request.user, band=band)
    return _answer(request, False)


@login_required
@require_http_methods(["GET", "POST"])
def team_defaults(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """A queue's default rules, for people without their own: managers and admins set them."""
    if not policies.may_set_team_defaults(request.user):
        raise Http404
    queue = get_object_or_404(Queue, slug=slug)
    form = StepForm(request.POST or None)
    status = 200
    if request.method == "POST" and "remove" in request.POST:
        rule = NotificationRule.objects.filter(queue=queue, pk=_int(request.POST["remove"])).first()
        if rule is not None:
            services.rule_remove(rule=rule)
        return redirect("paging-team", slug=queue.slug)
    if request.method == "POST":
        if form.is_valid():
            try:
                band, medium = form.cleaned_data["band"], form.cleaned_data["medium"]
                services.team_rule_add(queue=queue, band=band, delay=form.delay, medium=medium)
                return redirect("paging-team", slug=queue.slug)
            except DomainError as exc:
                form.add_error(None, str(exc))
        status = 400
    rules = list(selectors.team_defaults(queues=[queue]))
    bands = [{"label": b.label, "rules": [r for r in rules if r.band == b]} for b in Band]
    context = {"queue": queue, "bands": bands, "form": form, "tighten_help": TIGHTEN_HELP}
    return render(request, "paging/team.html", context, status=status)


DONE = {
    "acknowledged": "Acknowledged: the ticket is yours, and the pages about it stop.",
    "already": "Someone acknowledged it first: the pages about it stop.",
}


# The token is the credential: no session, so no CSRF token to check (a forged POST would need the token itself)
@csrf_exempt
@require_http_methods(["GET", "POST"])
def page_link(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """GET shows what the link acknowledges and a button (link scanners and previews only GET); POST acknowledges.
    A refused link (used, expired, changed, someone else's) gets a page saying so, never a sign-in prompt."""
    signed_in = request.user if isinstance(request.user, User) else None
    context: dict = {"reference": reference, "token": token}
    status = 200
    try:
        if request.method == "POST":
            outcome = services.page_link_use(reference=reference, token=token, signed_in=signed_in)
            context["done"] = DONE[outcome]
        else:
            context["link"] = services.page_link_check(reference=reference, token=token, signed_in=signed_in)
    except DomainError as exc:
        context["refused"], status = str(exc), 400
    response = render(request, "paging/link.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the next page's server
    return response
