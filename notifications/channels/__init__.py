"""Channel providers behind one interface (see ``base``); ``provider_for`` picks the configured one."""
from django.conf import settings
from django.utils.module_loading import import_string

from .base import Provider

_REGISTRY = {
    "sandbox": "notifications.channels.sandbox.SandboxProvider",
}
_cache: dict[str, Provider] = {}


def register(name: str, dotted_path: str) -> None:
    _REGISTRY[name] = dotted_path


def provider_for(channel: str) -> Provider:
    """The provider configured for ``channel`` (``WAYPOST_PROVIDERS``; sandbox by default)."""
    name = settings.WAYPOST_PROVIDERS.get(channel, "sandbox")
    key = f"{channel}:{name}"
    if key not in _cache:
        _cache[key] = import_string(_REGISTRY[name])(channel=channel)
    return _cache[key]

# Email: one provider class for every Django mail backend (anymail ESPs, SMTP, console).
for _name in ("console", "smtp", "amazon_ses", "brevo", "mailersend", "mailgun", "mailjet", "mailtrap", "mandrill",
              "postal", "postmark", "resend", "scaleway", "sendgrid", "sendinblue", "sparkpost", "unisender_go"):
    _REGISTRY.setdefault(_name, "notifications.channels.email.EmailProvider")
