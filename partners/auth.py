"""Partner authentication (``Authorization: Bearer <token>``, or ``Token <token>`` as DRF's token
authentication writes it), the partner permission, the per-token throttle, and the channel scope
every partner view filters by."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from partners.models import Partner, hash_token


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        partner = Partner.objects.filter(token_hash=hash_token(header[1]), is_active=True).first()
        if partner is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return partner, header[1]

    def authenticate_header(self, request):
        return 'Bearer realm="waypost"'


class IsPartner(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, Partner)


class PartnerRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token; over the limit DRF answers 429 with ``Retry-After``. It counts in the
    cache, which fails open when Redis is unreachable (``core.cache``): requests go through."""

    scope = "partner"

    def get_cache_key(self, request, view):
        if isinstance(request.user, Partner):
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PartnerScopedMixin:
    """Gives views ``self.channels``: the sales channels the calling partner may touch."""

    # Any id up to the next slash reaches the view, so one that is not a number (``/orders/1.5/``)
    # gets the API's JSON 404 rather than the site's HTML page for an unknown URL.
    lookup_value_regex = "[^/]+"

    @property
    def channels(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no partner
            return []
        if not hasattr(self, "_channels"):
            self._channels = list(self.request.user.sales_channels.filter(is_active=True))
        return self._channels

    @property
    def brand_ids(self):
        return {c.brand_id for c in self.channels}

    @property
    def actor(self) -> str:
        """How services record the caller in audit rows."""
        return f"partner:{self.request.user.name}"


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the partner token to drf-spectacular: ``Authorization: Bearer <token>``, or the
    same token as ``Authorization: Token <token>`` (either one)."""

    target_class = PartnerTokenAuthentication
    name = ["partnerToken", "partnerTokenKeyword"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <token>`, with the partner token from `add_partner`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "The same token as `Authorization: Token <token>`.",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{"partnerToken": []}, {"partnerTokenKeyword": []}]
