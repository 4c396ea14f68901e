"""On-call pages, for staff: the board, a queue's schedule and calendar, my shifts, overrides, swaps, layers, and
the iCal feeds (a secret address, no session). Thin: selectors read, services write."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role, user_role
from accounts.types import AuthedHttpRequest
from supportdesk.errors import DomainError
from tickets.models import Queue

from . import feeds, selectors, services
from .forms import LayerForm, OverrideForm, SwapForm
from .models import Layer, Override, Schedule, Swap

WEEKS = 2  # the calendar's default; up to MAX_WEEKS
MAX_WEEKS = 6


def _staff(request: HttpRequest) -> None:
    if user_role(request.user) == Role.REQUESTER:
        raise PermissionDenied


def _manager(request: AuthedHttpRequest) -> None:
    if not selectors.can_manage(request.user):
        raise PermissionDenied


def _weeks(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("weeks") or WEEKS), 1), MAX_WEEKS)
    except ValueError:
        return WEEKS


def _zone_name() -> str:
    return timezone.get_current_timezone_name()


@login_required
@require_GET
def board(request: AuthedHttpRequest) -> HttpResponse:
    """Every queue's layers, who is on call now and next."""
    _staff(request)
    now = timezone.now()
    context = {"rows": selectors.oncall_board(now=now), "now": now, "zone": _zone_name()}
    context["can_manage"] = selectors.can_manage(request.user)
    return render(request, "oncall/board.html", context)


def _schedule_context(request: AuthedHttpRequest, schedule: Schedule, **forms) -> dict:
    now = timezone.now()
    weeks = _weeks(request)
    zone = timezone.get_current_timezone()
    can_act = selectors.can_act_on(request.user, schedule)
    return {
        "schedule": schedule,
        "queue": schedule.queue,
        "layers": [selectors.layer_now(layer, now=now) for layer in schedule.layers.all()],
        "days": selectors.schedule_calendar(
            schedule=schedule, first=timezone.localdate(now), days=7 * weeks, zone=zone
        ),
        "weeks": weeks,
        "week_choices": range(1, MAX_WEEKS + 1),
        "zone": _zone_name(),
        "can_act": can_act,
        "can_manage": selectors.can_manage(request.user),
        "override_form": forms.get("override_form") or (OverrideForm(schedule=schedule) if can_act else None),
        "swap_form": forms.get("swap_form") or (SwapForm(schedule=schedule, user=request.user) if can_act else None),
        "swaps": [s for s in selectors.swaps_open_for(user=request.user) if s.layer.schedule_id == schedule.pk],
        "overrides": selectors.overrides_ahead(schedule=schedule, now=now),
        "feed_url": request.build_absolute_uri(reverse("oncall-feed", args=[schedule.feed_token])),
    }


@login_required
@require_GET
def schedule_detail(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """A queue's layers now and next and its calendar of the next weeks (the calendar alone for htmx)."""
    _staff(request)
    schedule = selectors.schedule_page(slug=slug, since=timezone.now())
    context = _schedule_context(request, schedule)
    htmx = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    return render(request, "oncall/_calendar.html" if htmx else "oncall/schedule.html", context)


def _acting(request: AuthedHttpRequest, slug: str) -> Schedule:
    _staff(request)
    schedule = selectors.schedule_page(slug=slug, since=timezone.now())
    if not selectors.can_act_on(request.user, schedule):
        raise PermissionDenied("Only the queue's members and managers change its on-call.")
    return schedule


def _refused(request: AuthedHttpRequest, schedule: Schedule, form, name: str, error: DomainError) -> HttpResponse:
    form.add_error(None, str(error))
    return render(request, "oncall/schedule.html", _schedule_context(request, schedule, **{name: form}), status=400)


@login_required
@require_POST
def override_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    schedule = _acting(request, slug)
    form = OverrideForm(request.POST, schedule=schedule)
    if not form.is_valid():
        return render(
            request, "oncall/schedule.html", _schedule_context(request, schedule, override_form=form), status=400
        )
    try:
        override = services.override_create(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, schedule, form, "override_form", exc)
    starts = timezone.localtime(override.starts_at)
    messages.success(
        request, f"{override.user.display_name} covers {override.layer.name} from {starts:%a %d %b %H:%M}."
    )
    return redirect("oncall-schedule", slug=slug)


@login_required
@require_POST
def override_delete(request: AuthedHttpRequest, slug: str, override_id: int) -> HttpResponse:
    """The person covering, who set it up, or a manager removes an override."""
    schedule = _acting(request, slug)
    override = get_object_or_404(Override, pk=override_id, layer__schedule=schedule)
    try:
        services.override_delete(override=override, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Override removed; the rotation's person is back on call for that stretch.")
    return redirect("oncall-schedule", slug=slug)


@login_required
@require_POST
def swap_propose(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    schedule = _acting(request, slug)
    form = SwapForm(request.POST, schedule=schedule, user=request.user)
    if not form.is_valid():
        return render(request, "oncall/schedule.html", _schedule_context(request, schedule, swap_form=form), status=400)
    try:
        swap = services.swap_propose(proposer=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, schedule, form, "swap_form", exc)
    messages.success(request, f"Swap proposed; {swap.recipient.display_name} is asked to accept it.")
    return redirect("oncall-schedule", slug=slug)


@login_required
@require_POST
def swap_decide(request: AuthedHttpRequest, swap_id: int, decision: str) -> HttpResponse:
    """Accept or decline (the person asked), cancel (who asked). A swap not theirs is a 404."""
    _staff(request)
    swap = get_object_or_404(selectors.swaps_open_for(user=request.user), pk=swap_id)
    status = {"accept": Swap.Status.ACCEPTED, "decline": Swap.Status.DECLINED, "cancel": Swap.Status.CANCELLED}
    if decision not in status:
        raise Http404
    try:
        services.swap_decide(swap=swap, actor=request.user, status=status[decision])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Swap {status[decision].label.lower()}.")
    back = request.POST.get("next") or ""
    # Only back to an on-call page: never an address a forged form names
    return redirect(back if back.startswith("/oncall/") and "//" not in back else "oncall-mine")


@login_required
@require_GET
def mine(request: AuthedHttpRequest) -> HttpResponse:
    """My shifts over the next weeks on every layer I am on, my swaps, my feed's address."""
    _staff(request)
    now = timezone.now()
    weeks = _weeks(request)
    context = {
        "shifts": selectors.person_shifts(user=request.user, start=now, end=now + timedelta(weeks=weeks)),
        "swaps": selectors.swaps_open_for(user=request.user),
        "weeks": weeks,
        "week_choices": range(1, MAX_WEEKS + 1),
        "zone": _zone_name(),
        "feed_url": request.build_absolute_uri(
            reverse("oncall-feed", args=[services.person_feed_token(user=request.user)])
        ),
    }
    return render(request, "oncall/mine.html", context)


@login_required
@require_POST
def mine_feed_regenerate(request: AuthedHttpRequest) -> HttpResponse:
    _staff(request)
    services.person_feed_token(user=request.user, regenerate=True)
    messages.success(request, "Your feed has a new address; the old one no longer works.")
    return redirect("oncall-mine")


@login_required
@require_POST
def schedule_feed_regenerate(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    _staff(request)
    _manager(request)
    services.schedule_feed_regenerate(schedule=get_object_or_404(Schedule, queue__slug=slug))
    messages.success(request, "The schedule's feed has a new address; the old one no longer works.")
    return redirect("oncall-schedule", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def layer_edit(request: AuthedHttpRequest, slug: str, layer_id: int | None = None) -> HttpResponse:
    """Managers and admins add or change a layer; a queue's first layer makes its schedule."""
    _staff(request)
    _manager(request)
    queue = get_object_or_404(Queue, slug=slug)
    if layer_id is None:
        schedule = Schedule.objects.filter(queue=queue).first()
        layer = Layer(schedule=schedule, position=(schedule.layers.count() + 1) if schedule else 1)
        layer.start_date = timezone.localdate()
        layer.handoff_weekday = layer.start_date.weekday()
    else:
        layer = get_object_or_404(Layer.objects.select_related("schedule"), pk=layer_id, schedule__queue=queue)
    form = LayerForm(request.POST or None, instance=layer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.layer_save(
                queue_id=queue.pk, layer=form.instance, members=data["members"], windows=data["windows"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Layer “{form.instance.name}” saved.")
            return redirect("oncall-schedule", slug=slug)
    context = {"form": form, "queue": queue, "layer": layer if layer_id else None}
    return render(request, "oncall/layer_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def layer_delete(request: AuthedHttpRequest, slug: str, layer_id: int) -> HttpResponse:
    _staff(request)
    _manager(request)
    layer = get_object_or_404(Layer, pk=layer_id, schedule__queue__slug=slug)
    services.layer_delete(layer=layer)
    messages.success(request, f"Layer “{layer.name}” deleted.")
    return redirect("oncall-schedule", slug=slug)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A schedule's or a person's shifts as iCal, for calendar apps: the secret address is the key (no session);
    a wrong one is a 404."""
    schedule, person = selectors.feed_owner(token=token)
    if schedule is None and person is None:
        raise Http404
    start, end = feeds.window(now=timezone.now())
    if schedule is not None:
        schedule = selectors.schedules_with_layers(Schedule.objects.filter(pk=schedule.pk), since=start).get()
        body = feeds.calendar_ics(
            name=f"On-call: {schedule.queue.name}",
            rows=selectors.schedule_shifts(schedule=schedule, start=start, end=end),
        )
    else:
        assert person is not None
        body = feeds.calendar_ics(
            name=f"On-call: {person.display_name}", rows=selectors.person_shifts(user=person, start=start, end=end)
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
