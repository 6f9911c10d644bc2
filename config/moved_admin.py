"""Admin addresses of models that moved to another app: the old address (a bookmark, a link in
an email to an agent) redirects to the new one."""

from django.urls import re_path
from django.views.generic import RedirectView

# (old app, model): new app
MOVED = {
    ("preferences", "brand"): "customers",
    ("preferences", "customer"): "customers",
    ("preferences", "customeridentity"): "customers",
    ("orders", "saleschannel"): "customers",
    ("core", "partner"): "partners",
    ("core", "idempotencykey"): "partners",
    ("notifications", "notificationtype"): "catalogue",
    ("notifications", "rule"): "catalogue",
    ("notifications", "template"): "catalogue",
    ("notifications", "templateversion"): "catalogue",
    ("notifications", "sandboxmessage"): "channels",
    ("orders", "channelintakesettings"): "intake",
    ("orders", "intakerecord"): "intake",
    ("orders", "carrieraccount"): "intake",
    ("orders", "carrierstatusmapping"): "intake",
}

urlpatterns = [
    re_path(
        rf"^{old}/{model}/(?P<rest>.*)$",
        RedirectView.as_view(url=f"/admin/{new}/{model}/%(rest)s", permanent=True, query_string=True),
    )
    for (old, model), new in MOVED.items()
]
