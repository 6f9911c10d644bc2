"""Serializer fields that only see the calling partner's rows: a sales channel by slug and
related objects by id. A foreign row gets the same message as a missing one, so ids and
slugs of other partners never leak."""

from rest_framework import serializers


def _view(field):
    return field.context.get("view")


class PartnerChannelField(serializers.SlugRelatedField):
    """One of the partner's sales channels, named by slug."""

    default_error_messages = {
        "does_not_exist": "'{value}' is not one of your sales channels.",
        "invalid": "Give the slug of one of your sales channels.",
    }

    def __init__(self, **kwargs):
        from customers.models import SalesChannel

        kwargs.setdefault("queryset", SalesChannel.objects.all())
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        view = _view(self)
        return super().get_queryset().filter(pk__in=[c.pk for c in view.channels] if view else [])


class PartnerScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related object by id, looked up in ``scope(view)`` (a queryset limited to the partner)."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)
        model = self.queryset.model._meta.verbose_name
        self.error_messages["does_not_exist"] = f"No {model} with id {{pk_value}} in your sales channels."

    def get_queryset(self):
        view = _view(self)
        return self.scope(view) if view else self.queryset.none()
