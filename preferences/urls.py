"""Customer-facing pages (no login): the preference center, its SMS short links, fresh links for
expired ones, and the browser push subscription endpoint."""

from django.urls import path

from preferences import views

app_name = "preferences"

urlpatterns = [
    path("s/<str:code>/", views.short_link, name="short"),
    path("renew/<str:token>/", views.renew_link, name="renew"),
    path("<str:token>/push/", views.push_subscribe, name="push_subscribe"),
    path("<str:token>/", views.preference_page, name="page"),
]
