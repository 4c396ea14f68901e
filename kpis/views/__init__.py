"""The KPI pages, one module per page: the manager dashboard (dashboard/), the trends (trends/) and the finance
view (finance/), each with its CSV files. All three need tickets.view_dashboards."""
