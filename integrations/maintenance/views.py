"""Maintenance windows in the browser: the list and calendar, the dashboard's fragment, and hand-entered windows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.types import AuthedHttpRequest
from supportdesk.keyset import query_without

from . import selectors, services
from .forms import UpcomingScopeForm, WindowFilterForm, WindowForm
from .models import MaintenanceWindow

PAGE_SIZE = 25


@login_required
@permission_required("integrations.view_maintenancewindow", raise_exception=True)
@require_GET
def window_list(request: HttpRequest) -> HttpResponse:
    """In progress and upcoming first, then past ones (paginated), with a month calendar above."""
    form = WindowFilterForm(request.GET)
    filters = form.filters()
    now = timezone.now()
    today = timezone.localdate(now)
    month = (form.cleaned_data.get("month") if form.is_valid() else None) or today
    windows = selectors.window_list_current_first(now=now, **filters)
    context = {
        "form": form,
        "page": Paginator(windows, PAGE_SIZE).get_page(request.GET.get("page")),
        "calendar": selectors.month_calendar(month=month, today=today, **filters),
        "query": query_without(request.GET, "page", "month"),
        "now": now,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "integrations/maintenance_list.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("tickets.view_dashboards", raise_exception=True)
@require_GET
def window_upcoming(request: HttpRequest) -> HttpResponse:
    """The dashboard's fragment: its account and environment filters narrow the windows; its dates do not."""
    now = timezone.now()
    windows = selectors.windows_upcoming(now=now, **UpcomingScopeForm(request.GET).filters())
    context = {"windows": windows, "now": now, "days": selectors.UPCOMING_DAYS}
    return render(request, "integrations/_maintenance_upcoming.html", context)


@login_required
@permission_required("integrations.add_maintenancewindow", raise_exception=True)
@require_http_methods(["GET", "POST"])
def window_create(request: AuthedHttpRequest) -> HttpResponse:
    form = WindowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        window = services.maintenance_window_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"Maintenance window “{window.label}” added.")
        return _to_calendar(window)
    return render(request, "integrations/maintenance_form.html", {"form": form}, status=400 if form.errors else 200)


def _editable(window_id: int) -> MaintenanceWindow:
    window = get_object_or_404(MaintenanceWindow.objects.select_related("account"), pk=window_id)
    if window.is_from_health:
        raise PermissionDenied("Windows from AWS Health change only when AWS changes them.")
    return window


@login_required
@permission_required("integrations.change_maintenancewindow", raise_exception=True)
@require_http_methods(["GET", "POST"])
def window_edit(request: HttpRequest, window_id: int) -> HttpResponse:
    window = _editable(window_id)
    form = WindowForm(request.POST or None, instance=window)
    if request.method == "POST" and form.is_valid():
        window = services.maintenance_window_update(window=window, **form.cleaned_data)
        messages.success(request, f"Maintenance window “{window.label}” saved.")
        return _to_calendar(window)
    context = {"form": form, "window": window}
    return render(request, "integrations/maintenance_form.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("integrations.delete_maintenancewindow", raise_exception=True)
@require_POST
def window_delete(request: HttpRequest, window_id: int) -> HttpResponse:
    window = _editable(window_id)
    services.maintenance_window_delete(window=window)
    messages.success(request, f"Maintenance window “{window.label}” deleted.")
    return redirect("maintenance-list")


def _to_calendar(window: MaintenanceWindow) -> HttpResponse:
    month = timezone.localtime(window.starts_at).strftime("%Y-%m")
    return redirect(f"/maintenance/?month={month}")
