"""Domain signals of the returns app, sent inside the transition's transaction."""

from django.dispatch import Signal

# instance, from_status (None on creation), to_status, actor
return_status_changed = Signal()
