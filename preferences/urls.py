"""Customer-facing pages (no login): the preference center."""
urlpatterns = []
