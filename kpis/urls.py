from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="kpi-dashboard"),
    path("dashboard/panel/headline/", views_dashboard.headline_panel, name="kpi-headline"),
    path("dashboard/panel/accounts/", views_dashboard.accounts_panel, name="kpi-accounts"),
    path("dashboard/chart/<slug:key>/", views_dashboard.chart_panel, name="kpi-chart"),
    path("dashboard/chart/<slug:key>.csv", views_dashboard.chart_csv, name="kpi-chart-csv"),
    path("dashboard/tickets/", views_dashboard.drilldown, name="kpi-drilldown"),
]
