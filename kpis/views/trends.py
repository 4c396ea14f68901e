"""The trends page and each of its figures as CSV, for people who hold tickets.view_dashboards."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from supportdesk.csvfile import csv_response

from .. import trends
from ..filters import KpiFilterForm


@login_required
@permission_required("tickets.view_dashboards", raise_exception=True)
@require_GET
def trends_page(request: HttpRequest) -> HttpResponse:
    form = KpiFilterForm(request.GET)
    scope = form.scope()  # an invalid filter shows its errors over the default period, never a 500
    sections = trends.trends(user=request.user, scope=scope)
    context = {
        "form": form,
        "scope": scope,
        "sections": sections,
        "query": scope.query_string(),
        "period": trends.period_shown(scope),
    }
    return render(request, "kpis/trends.html", context, status=200 if form.is_valid() else 400)


@login_required
@permission_required("tickets.view_dashboards", raise_exception=True)
@require_GET
def trends_csv(request: HttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    build = trends.SECTIONS.get(slug)
    if build is None:
        raise Http404("No such figure.")
    form = KpiFilterForm(request.GET)
    if not form.is_valid():  # a file of the default period under a name that says otherwise would mislead
        return render(request, "kpis/_filter_errors.html", {"form": form}, status=400)
    scope = form.scope()
    section = build(user=request.user, scope=scope, now=timezone.now())
    filename = f"trends-{slug}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv"
    return csv_response([section.columns, *section.rows], filename=filename)
