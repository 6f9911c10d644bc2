"""Domain signals of the preferences app, sent by its services inside their transaction.

``preference_link_requested``: a customer (or an agent for them) asked for a fresh link to their
preference page, to be sent to the address already on file. Receivers get ``customer`` and
``actor``; the pipeline turns it into a message (preferences never sends anything itself).
"""

from django.dispatch import Signal

preference_link_requested = Signal()
