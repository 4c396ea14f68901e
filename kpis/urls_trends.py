from django.urls import path

from . import views_finance, views_trends

urlpatterns = [
    path("trends/", views_trends.trends_page, name="trends"),
    path("trends/<slug:slug>.csv", views_trends.trends_csv, name="trends-csv"),
    path("finance/", views_finance.finance_page, name="finance"),
    path("finance/<slug:slug>.csv", views_finance.finance_csv, name="finance-csv"),
]
