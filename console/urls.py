"""The console's own admin pages (behind the admin login; each view checks its permission):
customer search and agent actions, and the template studio. Mounted with the KPI dashboard
(``insights.urls``) under ``/admin/console/`` in the ``console`` namespace (``config/urls.py``)."""

from django.contrib import admin
from django.urls import path

from console import agent, studio

v = admin.site.admin_view

urlpatterns = [
    path("customers/search/", v(agent.search_view), name="search"),
    path("customers/<int:customer_id>/one-off/", v(agent.oneoff_view), name="oneoff"),
    path("deliveries/<int:delivery_id>/resend/", v(agent.resend_view), name="resend"),
    path("studio/", v(studio.index_view), name="studio"),
    path("studio/<int:template_id>/<str:language>/", v(studio.edit_view), name="studio-edit"),
    path("studio/<int:template_id>/<str:language>/preview/", v(studio.preview_view), name="studio-preview"),
    path("studio/<int:template_id>/<str:language>/test-send/", v(studio.test_send_view), name="studio-test-send"),
    path("studio/versions/<int:version_id>/diff/", v(studio.diff_view), name="studio-diff"),
    path("studio/versions/<int:version_id>/revert/", v(studio.revert_view), name="studio-revert"),
]
