"""Thin HTML views: parse, call a selector or a service, render. htmx requests get partials."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
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
from .forms import (
    AssignForm,
    BulkForm,
    CannedReplyForm,
    CommentForm,
    EscalateForm,
    QueueForm,
    SavedViewCreateForm,
    SavedViewForm,
    SeverityForm,
    StatusForm,
    TicketCreateForm,
    TicketEditForm,
    TransitionForm,
)
from .models import Ticket
from .services import BulkAction
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


class Workspace:
    """What the list and the ticket page offer a person who works tickets: bulk actions, changes in place. Read by
    the Jinja rows, for each row, without a query (the person's queues and permissions are cached)."""

    def __init__(self, user) -> None:
        self.user = user
        self.bulk = policies.works_tickets(user)

    def may_work(self, ticket: Ticket) -> bool:
        return policies.may_work(self.user, ticket)


def _list_context(request: AuthedHttpRequest, params: QueryDict) -> dict:
    """The list's results for these filters; raises InvalidCursor for a forged or stale cursor."""
    drawn_at = timezone.now()  # before the read: a change made during it shows at the next poll
    form = TicketFilterForm(params)
    page = None
    if form.is_valid():
        page = selectors.ticket_page(user=request.user, form=form, cursor=params.get("cursor"))
    return {
        "form": form,
        "page": page,
        "now": timezone.now(),
        "query": query_without(params, "cursor"),
        "filtered": any(v for k, v in params.items() if k not in {"cursor", "sort", "status"}),
        "live_stamp": _list_stamp(drawn_at),
        "workspace": Workspace(request.user),
        "bulk_actions": BulkAction.choices,
        "queues": reference.queues(),
        "share_queues": _share_queues(request.user),
    }


@login_required
@require_GET
def ticket_list(request: AuthedHttpRequest) -> HttpResponse:
    live = request.headers.get(LIVE_HEADER)
    since = _list_stamp_time(live) if live is not None else None
    if since is not None and not selectors.tickets_changed_since(user=request.user, since=since):
        return _unchanged()
    try:
        context = _list_context(request, request.GET)
    except InvalidCursor as exc:
        messages.warning(request, str(exc))
        return redirect(f"{request.path}?{query_without(request.GET, 'cursor')}")
    if live is not None:
        response = render(request, "tickets/_results_live.html", context)
        add_never_cache_headers(response)
        return response
    if _is_htmx(request):
        return render(request, "tickets/_results.html", context)
    views = selectors.saved_views_for(user=request.user)
    return render(request, "tickets/list.html", context | {"saved_views": views})


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
        "can_use_replies": policies.works_tickets(user),
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


# The engineer's workspace: changes in place, bulk actions, saved views, canned replies -------------------------------

INLINE_FIELDS = ("severity", "assignee", "status", "queue")


def _inline_form(field: str, ticket: Ticket, user, data=None):
    auto_id = f"inline-{ticket.pk}-%s"  # several rows may have a form open at once
    if field == "severity":
        return SeverityForm(data, initial={"severity": ticket.severity_id}, auto_id=auto_id)
    if field == "queue":
        return QueueForm(data, initial={"queue": ticket.queue_id}, auto_id=auto_id)
    if field == "assignee":
        return AssignForm(data, ticket=ticket, initial={"assignee": ticket.assignee_id}, auto_id=auto_id)
    return StatusForm(data, actions=policies.allowed_actions(user, ticket), auto_id=auto_id)


def _inline_apply(field: str, ticket: Ticket, user, data: dict) -> Ticket:
    if field == "assignee":
        return services.ticket_assign(ticket=ticket, actor=user, assignee=data["assignee"])
    if field == "status":
        return services.ticket_transition(ticket=ticket, actor=user, action=data["action"], note=data["note"])
    return services.ticket_update(ticket=ticket, actor=user, **{field: data[field]})


def _inline_target(ticket: Ticket, field: str, place: str) -> str:
    return f"cell-{ticket.reference}-{field}" if place == "row" else f"field-{field}"


def _inline_shown(request: AuthedHttpRequest, ticket: Ticket, field: str, place: str) -> HttpResponse:
    """What the field shows now: the whole row on the list (its status, badges and due times move together), the
    ticket page's four fields on the page."""
    workspace = Workspace(request.user)
    if place == "row":
        row = selectors.ticket_row(user=request.user, ticket_id=ticket.pk)
        context: dict[str, Any] = {
            "t": row,
            "ticket": ticket,
            "now": timezone.now(),
            "workspace": workspace,
            "user": request.user,
        }
        response = HttpResponse(partial_render("tickets/_row.jinja", context))
        response["HX-Retarget"] = f"#row-{ticket.reference}"
        response["HX-Reswap"] = "outerHTML"
        return response
    if not selectors.ticket_is_visible(user=request.user, ticket=ticket):
        messages.info(request, f"{ticket.reference} now belongs to {ticket.queue.name} and has left your view.")
        response = HttpResponse()
        response["HX-Redirect"] = reverse("ticket-list")
        return response
    context = {"t": ticket, "field": field, "fields": INLINE_FIELDS, "workspace": workspace}
    return HttpResponse(partial_render("tickets/_inline_show.jinja", context))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def ticket_inline(request: AuthedHttpRequest, reference: str, field: str) -> HttpResponse:
    """One field changed in place (htmx): GET the form, POST it, GET with show=1 for what it shows (cancel). Without
    htmx, the ticket's own forms do the same and this answers with the ticket page."""
    if field not in INLINE_FIELDS:
        raise Http404("No such field.")
    place = "row" if request.GET.get("place") == "row" else "page"
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    if not policies.may_work(request.user, ticket):
        raise PermissionDenied("Only agents of this ticket's queue may change it.")
    if request.method == "GET" and (request.GET.get("show") or not _is_htmx(request)):
        return _inline_shown(request, ticket, field, place) if _is_htmx(request) else redirect(ticket)
    form = _inline_form(field, ticket, request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _inline_apply(field, ticket, request.user, form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            if not _is_htmx(request):
                return _done(request, ticket, f"{ticket.reference} updated.")
            response = _inline_shown(request, ticket, field, place)
            # for the page's other parts (live updates listen for it): this ticket changed
            response["HX-Trigger"] = json.dumps({"tickets-changed": {"references": [ticket.reference]}})
            return response
    action = f"{reverse('ticket-inline', args=[ticket.reference, field])}?place={place}"
    context = {"ticket": ticket, "form": form, "field": field, "action": action}
    context["target"] = _inline_target(ticket, field, place)
    return render(request, "tickets/_inline_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def ticket_bulk(request: AuthedHttpRequest) -> HttpResponse:
    """One action on the selected tickets; the list comes back with what happened to each."""
    if not policies.works_tickets(request.user):
        raise PermissionDenied("Only the people who work tickets may change several at once.")
    form = BulkForm(request.POST)
    changed: list[str] = []
    if form.is_valid():
        data = form.cleaned_data
        outcome = services.tickets_bulk_change(
            actor=request.user,
            ticket_ids=data["tickets"],
            action=data["action"],
            assignee=data["assignee"],
            queue=data["queue"],
            note=data["note"],
        )
        changed = outcome.updated
        level, text = (messages.SUCCESS if changed else messages.WARNING), outcome.summary()
    else:
        level = messages.ERROR
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
    params = QueryDict(form.data.get("query", ""))
    if not _is_htmx(request):
        messages.add_message(request, level, text)
        return redirect(f"{reverse('ticket-list')}?{query_without(params, 'cursor')}")
    context = _list_context(request, QueryDict(query_without(params, "cursor")))
    context["bulk_message"] = (messages.DEFAULT_TAGS[level], text)
    response = render(request, "tickets/_results.html", context, status=200 if form.is_valid() else 400)
    if changed:  # for the page's other parts (live updates listen for it)
        response["HX-Trigger"] = json.dumps({"tickets-changed": {"references": changed}})
    return response


@login_required
@require_GET
def ticket_bulk_people(request: AuthedHttpRequest) -> HttpResponse:
    """The people the bulk bar may assign to, as <option>s, fetched when the bar's select is first used."""
    if not policies.works_tickets(request.user):
        raise PermissionDenied("Only the people who work tickets may assign them.")
    people = selectors.assignable_users()[:500]
    return render(request, "tickets/_people_options.html", {"people": people})


@login_required
@require_http_methods(["GET", "POST"])
def saved_view_list(request: AuthedHttpRequest) -> HttpResponse:
    """The person's saved views: rename, share, delete; POST saves the list's current filters as a new one."""
    form = SavedViewCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            view = services.saved_view_create(
                owner=request.user, name=data["name"], query=data["query"], shared_with=data["shared_with"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved “{view.name}”.")
            return redirect(f"{reverse('ticket-list')}?{view.query}")
    return _saved_views_page(request, create_form=form)


def _share_queues(user) -> list:
    """The queues a person may share a view with: those they work, or all for those who see everything."""
    sight = policies.sight_of(user)
    return (
        [q for q in reference.queues() if sight.everything or q.pk in sight.queue_ids]
        if policies.works_tickets(user)
        else []
    )


def _saved_views_page(request: AuthedHttpRequest, create_form=None, edited=None) -> HttpResponse:
    """The views, each with its rename form (written out in the template: a form object per row would read the
    queues once per row); the one whose change failed carries its form and errors."""
    views = selectors.saved_views_for(user=request.user)
    rows = [(view, edited[1] if edited and edited[0] == view.pk else None) for view in views]
    context = {"rows": rows, "create_form": create_form, "share_queues": _share_queues(request.user)}
    failed = (create_form is not None and create_form.errors) or (edited and edited[1].errors)
    return render(request, "tickets/saved_views.html", context, status=400 if failed else 200)


@login_required
@require_POST
def saved_view_edit(request: AuthedHttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_of(user=request.user, view_id=view_id)
    form = SavedViewForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.saved_view_update(view=view, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved “{view.name}”.")
            return redirect("saved-view-list")
    return _saved_views_page(request, create_form=None, edited=(view.pk, form))


@login_required
@require_POST
def saved_view_delete(request: AuthedHttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_of(user=request.user, view_id=view_id)
    services.saved_view_delete(view=view, actor=request.user)
    messages.success(request, f"Deleted “{view.name}”.")
    return redirect("saved-view-list")


def _replies_allowed(request: AuthedHttpRequest) -> None:
    if not policies.works_tickets(request.user):
        raise PermissionDenied("Canned replies are for the people who work tickets.")


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_list(request: AuthedHttpRequest) -> HttpResponse:
    """The person's canned replies and the team's; POST adds one."""
    _replies_allowed(request)
    form = CannedReplyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            reply = services.canned_reply_save(actor=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, f"Saved “{reply.title}”.")
            return redirect("canned-reply-list")
    replies = selectors.canned_replies_for(user=request.user)[:200]
    context = {"replies": replies, "form": form, "may_keep_team": policies.may_keep_team_replies(request.user)}
    return render(request, "tickets/canned_replies.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_edit(request: AuthedHttpRequest, reply_id: int) -> HttpResponse:
    _replies_allowed(request)
    reply = selectors.canned_reply_of(user=request.user, reply_id=reply_id)
    form = CannedReplyForm(request.POST or None, user=request.user, reply=reply)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_reply_save(actor=request.user, reply=reply, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, f"Saved “{reply.title}”.")
            return redirect("canned-reply-list")
    context = {"reply": reply, "form": form}
    return render(request, "tickets/canned_reply_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def canned_reply_delete(request: AuthedHttpRequest, reply_id: int) -> HttpResponse:
    _replies_allowed(request)
    reply = selectors.canned_reply_of(user=request.user, reply_id=reply_id)
    try:
        services.canned_reply_delete(actor=request.user, reply=reply)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted “{reply.title}”.")
    return redirect("canned-reply-list")


@never_cache
@login_required
@require_GET
def ticket_replies(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """The comment form's picker: the replies offered for this ticket, as a partial fetched once the page is up."""
    ticket = selectors.ticket_detail(user=request.user, reference=reference)
    replies = selectors.canned_replies_for(user=request.user, queue_id=ticket.queue_id)[:200]
    usable = policies.works_tickets(request.user)
    return render(request, "tickets/_canned_picker.html", {"ticket": ticket, "replies": replies if usable else []})


@never_cache
@login_required
@require_GET
def ticket_reply_text(request: AuthedHttpRequest, reference: str, reply_id: int) -> JsonResponse:
    """One reply for this ticket, placeholders filled in (as text: the page puts it in the comment box's value)."""
    ticket = selectors.ticket_detail(user=request.user, reference=reference)  # a 404 before any 403
    _replies_allowed(request)
    reply = selectors.canned_reply_of(user=request.user, reply_id=reply_id, queue_id=ticket.queue_id)
    return JsonResponse(
        {"title": reply.title, "body": selectors.canned_reply_text(reply=reply, ticket=ticket, user=request.user)}
    )
