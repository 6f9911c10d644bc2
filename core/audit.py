"""What an audit row says was done: the one list of actions services record (``AuditLog.action``).

The values are the words audit rows have always carried, so rows written before this list keep
their meaning. A service names its action by member (``AuditAction.REQUEUED``); ``audit`` refuses
a word not on the list."""

from django.db import models


class AuditAction(models.TextChoices):
    # Any row
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    # Status changes made by a transition service (core.transitions)
    STATUS_CHANGED = "status_changed", "Status changed"
    BACKORDER_STATE_CHANGED = "backorder_state_changed", "Backorder state changed"
    # Stock, customers' preferences, partners
    STOCK_CHANGED = "stock_changed", "Stock changed"
    PREFERENCES_CHANGED = "preferences_changed", "Preferences changed"
    PREFERENCE_LINK_SENT = "preference_link_sent", "Preference link sent"
    PREFERENCE_LINK_REQUESTED = "preference_link_requested", "Fresh preference link requested"
    TOKEN_ROTATED = "token_rotated", "API token rotated"
    # Intake dead letters
    INTAKE_PAYLOAD_EDITED = "intake_payload_edited", "Intake payload edited"
    INTAKE_RESOLVED = "intake_resolved", "Intake record resolved"
    # Catalogue templates
    TEMPLATE_SAVED = "template_saved", "Template saved"
    TEMPLATE_REVERTED = "template_reverted", "Template reverted"
    TEST_SENT = "test_sent", "Test message sent"
    # Agents' work on the pipeline
    REQUEUED = "requeued", "Dead delivery requeued"
    RESENT = "resent", "Resent (new delivery)"
    RESEND_REQUESTED = "resend_requested", "Resend requested"
    ONE_OFF_SENT = "one_off_sent", "One-off message sent"
    SUPPRESSION_LIFTED = "suppression_lifted", "Suppression lifted"
    ASSIGNED = "assigned", "Assigned"
    RESOLVED = "resolved", "Resolved"
