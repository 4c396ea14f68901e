"""The finance view and its tables as CSV, for people who hold tickets.view_dashboards."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportdesk.csvfile import csv_response

from ..filters import KpiFilterForm
from ..finance import TABLES, finance_report
from ..trends import period_shown


@login_required
@permission_required("tickets.view_dashboards", raise_exception=True)
@require_GET
def finance_page(request: HttpRequest) -> HttpResponse:
    form = KpiFilterForm(request.GET)
    scope = form.scope()  # an invalid filter shows its errors over the default period, never a 500
    report = finance_report(scope=scope, user=request.user)
    context = {
        "form": form,
        "scope": scope,
        "report": report,
        "query": scope.query_string(),
        "period": period_shown(scope),
    }
    return render(request, "kpis/finance.html", context, status=200 if form.is_valid() else 400)


@login_required
@permission_required("tickets.view_dashboards", raise_exception=True)
@require_GET
def finance_csv(request: HttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    if slug not in TABLES:
        raise Http404("No such table.")
    form = KpiFilterForm(request.GET)
    if not form.is_valid():  # a file of the default period under a name that says otherwise would mislead
        return render(request, "kpis/_filter_errors.html", {"form": form}, status=400)
    scope = form.scope()
    table = finance_report(scope=scope, user=request.user).table(slug)
    assert table is not None  # slug is one of TABLES
    columns, rows, _ = table
    return csv_response([columns, *rows], filename=f"finance-{slug}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv")
