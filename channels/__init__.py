"""Channel providers behind one interface (see ``base``); ``provider_for`` picks the configured one."""

from django.conf import settings
from django.utils.module_loading import import_string

from channels.base import Provider

_REGISTRY = {
    "sandbox": "channels.sandbox.SandboxProvider",
    "webpush": "channels.webpush.WebPushProvider",
    "vonage": "channels.vonage.VonageProvider",
    "twilio": "channels.twilio.TwilioProvider",
}
_cache: dict[str, Provider] = {}


def register(name: str, dotted_path: str) -> None:
    _REGISTRY[name] = dotted_path


def provider_for(channel: str, *, to: str = "", attempt_number: int = 1) -> Provider:
    """The provider configured for ``channel`` (``WAYPOST_PROVIDERS``; sandbox by default). SMS
    follows ``SMS_ROUTES`` when set: the route for ``to``'s country, the next provider on each
    attempt (so a failed attempt is retried through another provider)."""
    if channel == "sms" and settings.SMS_ROUTES:
        from channels.routing import sms_provider_name

        return provider_named(channel, sms_provider_name(to, attempt_number=attempt_number))
    return provider_named(channel, settings.WAYPOST_PROVIDERS.get(channel, "sandbox"))


def provider_named(channel: str, name: str) -> Provider:
    """The provider ``name`` for ``channel`` (one instance per process)."""
    key = f"{channel}:{name}"
    if key not in _cache:
        _cache[key] = import_string(_REGISTRY[name])(channel=channel)
    return _cache[key]


def reset_providers(**kwargs) -> None:
    """Forget built providers (their SDK clients hold settings); on any settings change in tests."""
    _cache.clear()


from django.core.signals import setting_changed  # noqa: E402

setting_changed.connect(reset_providers, dispatch_uid="channels.reset")

# Email: one provider class for every Django mail backend (anymail ESPs, SMTP, console).
for _name in (
    "console",
    "smtp",
    "amazon_ses",
    "brevo",
    "mailersend",
    "mailgun",
    "mailjet",
    "mailtrap",
    "mandrill",
    "postal",
    "postmark",
    "resend",
    "scaleway",
    "sendgrid",
    "sendinblue",
    "sparkpost",
    "unisender_go",
):
    _REGISTRY.setdefault(_name, "channels.email.EmailProvider")
