from django.urls import path

from .views import dashboard

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="kpi-dashboard"),
    path("dashboard/panel/headline/", dashboard.headline_panel, name="kpi-headline"),
    path("dashboard/panel/accounts/", dashboard.accounts_panel, name="kpi-accounts"),
    path("dashboard/chart/<slug:key>/", dashboard.chart_panel, name="kpi-chart"),
    path("dashboard/chart/<slug:key>.csv", dashboard.chart_csv, name="kpi-chart-csv"),
    path("dashboard/tickets/", dashboard.drilldown, name="kpi-drilldown"),
]
