"""Customer-facing pages (no login): the preference center."""
from django.urls import path

from . import views

app_name = "preferences"

urlpatterns = [
    path("<str:token>/", views.preference_page, name="page"),
]
