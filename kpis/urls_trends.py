from django.urls import path

from .views import finance, trends

urlpatterns = [
    path("trends/", trends.trends_page, name="trends"),
    path("trends/<slug:slug>.csv", trends.trends_csv, name="trends-csv"),
    path("finance/", finance.finance_page, name="finance"),
    path("finance/<slug:slug>.csv", finance.finance_csv, name="finance-csv"),
]
