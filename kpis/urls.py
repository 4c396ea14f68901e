"""The KPI pages, under three prefixes people have bookmarked; supportdesk/urls.py mounts each list at its own:
urlpatterns at dashboard/, trends_urlpatterns at trends/, finance_urlpatterns at finance/."""

from django.urls import path

from .views import dashboard, finance, trends

urlpatterns = [
    path("", dashboard.dashboard, name="kpi-dashboard"),
    path("panel/headline/", dashboard.headline_panel, name="kpi-headline"),
    path("panel/accounts/", dashboard.accounts_panel, name="kpi-accounts"),
    path("chart/<slug:key>/", dashboard.chart_panel, name="kpi-chart"),
    path("chart/<slug:key>.csv", dashboard.chart_csv, name="kpi-chart-csv"),
    path("tickets/", dashboard.drilldown, name="kpi-drilldown"),
]

trends_urlpatterns = [
    path("", trends.trends_page, name="trends"),
    path("<slug:slug>.csv", trends.trends_csv, name="trends-csv"),
]

finance_urlpatterns = [
    path("", finance.finance_page, name="finance"),
    path("<slug:slug>.csv", finance.finance_csv, name="finance-csv"),
]
