"""Thin HTML views: parse, call a selector or a service, render. htmx requests get partials."""

from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import user_role
from accounts.types import AuthedHttpRequest
from supportdesk.csvfile import csv_response
from supportdesk.errors import DomainError
from supportdesk.jinja2 import partial_digest, partial_render
from supportdesk.keyset import InvalidCursor, query_without

from . import policies, reference, selectors, services
from .export import ticket_csv_rows
from .filters import TicketFilterForm
from .forms import AssignForm, CommentForm, EscalateForm, TicketCreateForm, TicketEditForm, TransitionForm
from .models import Ticket
from .workflow import NOTE_REQUIRED


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


# static/js/live.js polls an open list or ticket page with the stamp the page was drawn at: 204 while it holds,
# else the page's live parts (the elements marked data-live-region), which the script swaps in place.
LIVE_HEADER = "X-Live-Since"


# A list's stamp is the moment it was drawn, less a margin: a change saved just before, but committed just after,
# the list was read still counts as new at the next poll.
LIVE_MARGIN = timedelta(seconds=5)


def _list_stamp(drawn_at: datetime) -> str:
    return f"{int((drawn_at - LIVE_MARGIN).timestamp() * 1_000_000):x}"


def _list_stamp_time(stamp: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(stamp, 16) / 1_000_000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None  # not a stamp we made: draw the list afresh


def _unchanged() -> HttpResponse:
    response = HttpResponse(status=204)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def home(request: AuthedHttpRequest) -> HttpResponse:
    role = user_role(request.user)
    sections = selectors.home_sections(user=request.user, role=role)
    context = {"sections": sections, "severities": reference.severities(), "now": timezone.now()}
    return render(request, "tickets/home.html", context)


@login_required
@require_GET
def ticket_list(request: AuthedHttpRequest) -> HttpResponse:
    live = request.headers.get(LIVE_HEADER)
    drawn_at = timezone.now()
    since = _list_stamp_time(live) if live is not None else None
    if since is not None and not selectors.tickets_changed_since(user=request.user, since=since):
        return _unchanged()
    form = TicketFilterForm(request.GET)
    page = None
    if form.is_valid():
        try:
            page = selectors.ticket_page(user=request.user, form=form, cursor=request.GET.get("cursor"))
        except InvalidCursor as exc:
            messages.warning(request, str(exc))
            return redirect(f"{request.path}?{query_without(request.GET, 'cursor')}")
    context = {
        "form": form,
        "page": page,
        "now": timezone.now(),
        "query": query_without(request.GET, "cursor"),
        "filtered": any(v for k, v in request.GET.items() if k not in {"cursor", "sort", "status"}),
        "live_stamp": _list_stamp(drawn_at),
    }
    if live is not None:
        response = render(request, "tickets/_results_live.html", context)
        add_never_cache_headers(response)
        return response
    return render(request, "tickets/_results.html" if _is_htmx(request) else "tickets/list.html", context)


@login_required
@require_GET
def ticket_export(request: AuthedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The list's tickets, with the list's filters, as CSV; only what the user may see, whatever the filters."""
    form = TicketFilterForm(request.GET)
    if not form.is_valid():
        problems = [f"{field}: {error}" for field, errors in form.errors.items() for error in errors]
        return HttpResponseBadRequest("\n".join(problems), content_type="text/plain; charset=utf-8")
    chunks = selectors.ticket_export_chunks(user=request.user, form=form)
    rows = ticket_csv_rows(chunks, site_url=request.build_absolute_uri("/"))
    return csv_response(rows, filename=f"tickets-{timezone.localdate():%Y-%m-%d}.csv")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: AuthedHttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(requester=request.user, **data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, f"{ticket.reference} filed. We'll keep you posted here.")
            return redirect(ticket)
    return render(request, "tickets/create.html", {"form": form}, status=400 if form.errors else 200)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


STORY = "tickets/_story.jinja"
STORY_TIMEOUT = 600  # also how long someone renamed keeps their old name in the stories that show it


def _story(ticket: Ticket, user, can_read_internal: bool) -> SafeString:
    """The description and timeline, rendered once per event for each audience (with internal notes or without) and
    time zone (its times are written in the viewer's)."""
    zone = timezone.get_current_timezone_name()
    key = f"tickets:story:{partial_digest(STORY)}:{ticket.pk}:{ticket.event_count}:{int(can_read_internal)}:{zone}"
    story = cache.get(key)
    if story is None:
        events, attachments = selectors.ticket_timeline(ticket=ticket, user=user)
        story = partial_render(STORY, {"ticket": ticket, "events": events, "attachments": attachments})
        cache.set(key, story, timeout=STORY_TIMEOUT)
    return story


def _detail_context(request: HttpRequest, ticket: Ticket, comment_form: CommentForm | None = None) -> dict:
    user = request.user
    now = timezone.now()
    can_read_internal = policies.may_read_internal(user)
    return {
        "now": now,
        "ticket": ticket,
        "story": _story(ticket, user, can_read_internal),
        "can_work": policies.may_work(user, ticket),
        "can_edit_text": policies.may_edit_text(user, ticket),
        "can_read_internal": can_read_internal,
        "actions": policies.allowed_actions(user, ticket),
        "note_required": [a.value for a in NOTE_REQUIRED],
        "is_watching": any(w.pk == user.pk for w in ticket.watcher_people),
        "comment_form": comment_form or CommentForm(),
        "breaching": ticket.is_breaching(now),
        "live_stamp": selectors.live_stamp(ticket.updated_at, ticket.event_count),
    }


@never_cache  # Cache-Control: no-store: a ticket's content stays out of browser and proxy caches
@login_required
@require_GET
def ticket_detail(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    live = request.headers.get(LIVE_HEADER)
    if live is not None and live == selectors.ticket_live_stamp(user=request.user, reference=reference):
        return _unchanged()
    ticket = selectors.ticket_detail(user=request.user, reference=reference, for_page=True)
    template = "tickets/_detail_live.html" if live is not None else "tickets/detail.html"
    return render(request, template, _detail_context(request, ticket))


def _done(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    messages.success(request, message)
    if not selectors.ticket_is_visible(user=request.user, ticket=ticket):
        # their own change (a move to another team's queue) took it out of their sight
        messages.info(request, f"{ticket.reference} now belongs to {ticket.queue.name} and has left your view.")
        return redirect("ticket-list")
    return redirect(ticket)


def _refused(request: HttpRequest, ticket: Ticket, exc: Exception) -> HttpResponse:
    messages.error(request, _message(exc))
    return redirect(ticket)


@login_required
@require_POST
def ticket_comment(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_detail(user=request.user, reference=reference, for_page=True)  # shown again on errors
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.comment_add(ticket=ticket, author=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, ticket, "Note added." if form.cleaned_data["is_internal"] else "Comment added.")
    return render(request, "tickets/detail.html", _detail_context(request, ticket, form), status=400)


@login_required
@require_POST
def ticket_transition(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, ValidationError("That is not a ticket action."))
    try:
        ticket = services.ticket_transition(ticket=ticket, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, ticket, exc)
    return _done(request, ticket, f"{ticket.reference} is now {ticket.get_status_display().lower()}.")


def _work_form(
    request, reference: str, form_class, labels: tuple[str, str], apply, form_kwargs, may=policies.may_work
) -> HttpResponse:
    """GET shows the form (a partial for htmx); POST applies it through a service."""
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    if not may(request.user, ticket):
        return _refused(request, ticket, DomainError("Only agents of this ticket's queue may do that."))
    form = form_class(request.POST or None, **form_kwargs(ticket))
    if request.method == "POST" and form.is_valid():
        try:
            message = apply(ticket, form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            return _done(request, ticket, message)
    context = {"ticket": ticket, "form": form, "form_title": labels[0], "submit_label": labels[1]}
    page = "tickets/_work_form.html" if _is_htmx(request) else "tickets/work_form_page.html"
    return render(request, page, context, status=400 if form.errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    def form_kwargs(ticket: Ticket) -> dict:
        fields = ("title", "description", "severity", "queue", "kind", "environment", "aws_account_id")
        initial = {f: getattr(ticket, f) for f in fields} | {"tags": ", ".join(ticket.tag_names)}
        return {"initial": initial, "text_only": not policies.may_work(request.user, ticket)}

    def apply(ticket: Ticket, data: dict) -> str:
        services.ticket_update(ticket=ticket, actor=request.user, **data)
        return "Details saved."

    return _work_form(
        request, reference, TicketEditForm, ("Edit details", "Save"), apply, form_kwargs, may=policies.may_edit_text
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ticket_assign(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    def apply(ticket: Ticket, data: dict) -> str:
        ticket = services.ticket_assign(ticket=ticket, actor=request.user, assignee=data["assignee"])
        return f"Assigned to {ticket.assignee.display_name}." if ticket.assignee else "Unassigned."

    return _work_form(
        request,
        reference,
        AssignForm,
        ("Assign", "Assign"),
        apply,
        form_kwargs=lambda t: {"ticket": t, "initial": {"assignee": t.assignee_id}},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ticket_escalate(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    def apply(ticket: Ticket, data: dict) -> str:
        ticket = services.ticket_escalate(ticket=ticket, actor=request.user, **data)
        return f"Escalated to level {ticket.escalation_level}."

    return _work_form(
        request, reference, EscalateForm, ("Escalate", "Escalate"), apply, form_kwargs=lambda t: {"ticket": t}
    )


@login_required
@require_POST
def ticket_take(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    try:
        services.ticket_assign(ticket=ticket, actor=request.user, assignee=request.user)
    except DomainError as exc:
        return _refused(request, ticket, exc)
    return _done(request, ticket, "It's yours.")


@login_required
@require_POST
def ticket_watch(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    watching = request.POST.get("watching") == "on"
    services.watcher_set(ticket=ticket, actor=request.user, user=request.user, watching=watching)
    return _done(request, ticket, "You'll follow this ticket." if watching else "You no longer follow this ticket.")


@never_cache
@login_required
@require_GET
def attachment_download(request: AuthedHttpRequest, reference: str, attachment_id: int) -> FileResponse:
    attachment = selectors.ticket_attachment(user=request.user, reference=reference, attachment_id=attachment_id)
    # Always a download, never rendered inline: an uploaded HTML or SVG must not run in our origin.
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
