"""The KPI dashboard's admin page (behind the admin login; the view checks its permission),
mounted under ``/admin/console/`` with the console's pages (``config/urls.py``)."""

from django.contrib import admin
from django.urls import path

from insights import dashboard

urlpatterns = [
    path("dashboard/", admin.site.admin_view(dashboard.dashboard_view), name="dashboard"),
]
