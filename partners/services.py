"""Partner services: create a partner with its API token, and rotate that token.

The raw token is returned once to the caller (admin message, management command output);
only its hash is stored.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import AuditAction
from core.transitions import audit
from partners.models import Partner


def partner_create(*, name: str, sales_channels, is_active: bool = True, actor: str = "") -> tuple[Partner, str]:
    """Create partner ``name`` allowed on ``sales_channels``; returns ``(partner, raw_token)``.

    Raises ValidationError when a partner with that name already exists.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["A partner needs a name."]})
    channels = list(sales_channels)
    try:
        with transaction.atomic():
            partner = Partner(name=name, is_active=is_active)
            raw = partner.set_new_token()
            partner.save()
            partner.sales_channels.set(channels)
            audit(
                obj=partner,
                action=AuditAction.CREATED,
                actor=actor,
                data={"channels": sorted(c.slug for c in channels), "token_prefix": partner.token_prefix},
            )
    except IntegrityError as exc:
        if Partner.objects.filter(name=name).exists():
            raise ValidationError({"name": [f"A partner named '{name}' already exists."]}) from exc
        raise
    return partner, raw


def partner_token_rotate(*, partner: Partner, actor: str = "") -> str:
    """Give ``partner`` a new token (the old one stops working at once); returns the raw token."""
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        old_prefix = locked.token_prefix
        raw = locked.set_new_token()
        locked.save(update_fields=["token_prefix", "token_hash"])
        audit(
            obj=locked,
            action=AuditAction.TOKEN_ROTATED,
            actor=actor,
            data={"old_token_prefix": old_prefix, "token_prefix": locked.token_prefix},
        )
    partner.token_prefix, partner.token_hash = locked.token_prefix, locked.token_hash
    return raw
