from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Brands & customers"

    def ready(self):
        # Numeric-only SMS sender countries (customers/sms_senders.py): registered as system
        # checks, and a settings-level sender that is not a number stops every process at start,
        # like an unconfigured SMS provider does.
        from customers.sms_senders import check_sender_settings

        errors = check_sender_settings()
        if errors:
            raise ImproperlyConfigured("; ".join(f"{e.msg} {e.hint or ''}".strip() for e in errors))
