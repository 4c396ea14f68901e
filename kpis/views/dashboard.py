"""The manager dashboard: a page of panels, each loaded by htmx on its own (bounded) request, and the drill-downs."""

from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from notifications.selectors import dead_notification_count
from supportdesk.keyset import InvalidCursor
from supportdesk.replica import replica_reads_view

from .. import charts, selectors
from ..filters import DEFAULT_PERIOD, KpiFilterForm
from ..forms import DrillForm


def dashboard_view(view):
    """Signed in, allowed to see dashboards (else 403), GET only; then its reads from the replica when there is one."""
    allowed = permission_required("tickets.view_dashboards", raise_exception=True)
    return login_required(allowed(require_GET(replica_reads_view(view))))


def _filters(request: HttpRequest) -> tuple[KpiFilterForm, int]:
    data = request.GET.copy()
    if not data.get("period"):  # so the form shows what the figures are for
        data["period"] = "custom" if data.get("start") or data.get("end") else DEFAULT_PERIOD
    form = KpiFilterForm(data)
    return form, 400 if not form.is_valid() else 200


@dashboard_view
def dashboard(request: HttpRequest) -> HttpResponse:
    form, status = _filters(request)
    scope = form.scope()
    today = timezone.localdate()
    context = {
        "form": form,
        "scope": scope,
        "charts": charts.CHARTS,
        "targets": selectors.targets_with_latest(day=today),
        "dead_notifications": dead_notification_count(),
    }
    return render(request, "kpis/dashboard.html", context, status=status)


def _panel(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form, status = _filters(request)
        if status != 200:
            return render(request, "kpis/_filter_errors.html", {"form": form}, status=status)
        return view(request, form.scope(), *args, **kwargs)

    return dashboard_view(wrapper)


@_panel
def headline_panel(request: HttpRequest, scope) -> HttpResponse:
    context = {"scope": scope, "headlines": charts.headlines(scope, now=timezone.now())}
    return render(request, "kpis/_headlines.html", context)


@_panel
def chart_panel(request: HttpRequest, scope, key: str) -> HttpResponse:
    context = {"scope": scope, "chart": _chart(scope, key), "chart_id": f"chart-data-{key}"}
    return render(request, "kpis/_chart.html", context)


@_panel
def chart_csv(request: HttpRequest, scope, key: str) -> HttpResponse:
    chart = _chart(scope, key)
    response = HttpResponse(chart.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-{scope.start}-{scope.end}.csv"'
    return response


def _chart(scope, key: str) -> charts.Chart:
    builder = charts.CHARTS.get(key)
    if builder is None:
        raise Http404("No such chart.")
    return builder(scope, now=timezone.now())


@_panel
def accounts_panel(request: HttpRequest, scope) -> HttpResponse:
    return render(request, "kpis/_accounts.html", {"accounts": selectors.account_health(scope)})


@dashboard_view
def drilldown(request: HttpRequest) -> HttpResponse:
    form, status = _filters(request)
    drill = DrillForm(request.GET)
    page, error = None, ""
    if status == 200 and drill.is_valid():
        options = dict(drill.cleaned_data)
        try:
            page = selectors.drill_page(
                user=request.user,
                scope=form.scope(),
                name=options.pop("set"),
                now=timezone.now(),
                cursor=request.GET.get("cursor"),
                **options,
            )
        except InvalidCursor as exc:
            error, status = str(exc), 400
    else:
        status = 400
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "drill": drill,
        "page": page,
        "error": error,
        "query": query.urlencode(),
        "scope": form.scope(),
        "now": timezone.now(),
    }
    return render(request, "kpis/drilldown.html", context, status=status)
