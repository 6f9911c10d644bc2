"""One valid row in every table of a past schema, written through that schema's historical models
(``MigrationExecutor(...).loader.project_state(nodes).apps``), so an upgrade test starts from a
database as full as a live one without today's models or factories.

Models are filled in foreign-key order (a cycle is broken at a nullable foreign key, set once its
target exists). A field with a default keeps it; every other field gets a value of its type (the
first of its choices, a unique text cut to its length, a number, a date, JSON, ...), nullable ones
and django-modeltranslation's ``name_en`` columns included, so every column holds data. Foreign keys and one-to-ones point at the row made for their model, and each
automatic many-to-many table gets one link. A test names the rows it already has (``chosen``) and
the values it wants (``values``: a dict, or a callable given the rows made so far, in which case
the model is filled after all the others).
"""

import datetime
import decimal
import itertools
import uuid
from collections.abc import Callable

from django.db import models
from django.utils import timezone


class HistoricalRows:
    def __init__(
        self,
        apps,
        *,
        chosen: dict | None = None,
        values: dict[str, dict | Callable[[dict], dict]] | None = None,
    ):
        self.apps = apps
        self.rows: dict[str, models.Model] = dict(chosen or {})  # label -> its row
        self.values = values or {}
        self._numbers = itertools.count(1)

    def fill(self) -> dict[str, models.Model]:
        """Creates one row per model (except the chosen ones) and one link per automatic
        many-to-many table; returns the rows by model label."""
        later = []  # (model, field): nullable foreign keys left empty to break a cycle
        for model in self._in_foreign_key_order():
            fields = self._fields_of(model)
            for field in model._meta.concrete_fields:
                if field.is_relation and field.name not in fields and field.related_model is not model:
                    later.append((model, field))
            self.rows[model._meta.label] = model._base_manager.create(**fields)
        for model, field in later:
            row = self.rows[model._meta.label]
            setattr(row, field.name, self.rows[field.related_model._meta.label])
            row.save(update_fields=[field.name])
        for model in self.apps.get_models():
            row = self.rows[model._meta.label]
            for field in model._meta.local_many_to_many:
                if field.remote_field.through._meta.auto_created:
                    getattr(row, field.name).add(self.rows[field.related_model._meta.label])
        return self.rows

    def _in_foreign_key_order(self) -> list[type[models.Model]]:
        waiting = [m for m in self.apps.get_models() if m._meta.label not in self.rows]
        late = [m for m in waiting if callable(self.values.get(m._meta.label))]
        waiting = [m for m in waiting if m not in late]
        done = set(self.rows)
        ordered = []
        while waiting:
            ready = [m for m in waiting if self._targets(m) <= done]
            if not ready:
                # A cycle: the first model whose missing targets are all nullable goes first.
                ready = [m for m in waiting if self._targets(m, required=True) <= done][:1]
            if not ready:
                raise ValueError(f"foreign keys in a cycle: {[m._meta.label for m in waiting]}")
            for model in ready:
                ordered.append(model)
                done.add(model._meta.label)
                waiting.remove(model)
        return ordered + late

    @staticmethod
    def _targets(model, *, required=False) -> set[str]:
        return {
            f.related_model._meta.label
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not model and not (required and f.null)
        }

    def _fields_of(self, model) -> dict:
        wanted = self.values.get(model._meta.label, {})
        if callable(wanted):
            wanted = wanted(self.rows)
        fields = {}
        for field in model._meta.concrete_fields:
            if field.name in wanted:
                fields[field.name] = wanted[field.name]
            elif field.auto_created or isinstance(field, models.AutoField):
                continue
            elif field.is_relation:
                target = self.rows.get(field.related_model._meta.label)
                if target is None and not field.null:
                    raise ValueError(f"{field} needs a {field.related_model._meta.label} row first")
                if target is not None:
                    fields[field.name] = target
            elif field.has_default() or field.has_db_default():
                continue
            else:
                fields[field.name] = self.value_for(field)
        return fields

    def value_for(self, field: models.Field):
        number = next(self._numbers)
        if field.choices:
            return field.flatchoices[0][0]
        if isinstance(field, models.EmailField):
            return f"row{number}@example.com"
        if isinstance(field, models.URLField):
            return f"https://example.com/{number}"
        if isinstance(field, models.GenericIPAddressField):
            return "192.0.2.1"
        if isinstance(field, (models.CharField, models.TextField)):
            text = f"{field.name}-{number}"
            if field.max_length and len(text) > field.max_length:
                text = str(number)[-field.max_length :].rjust(field.max_length, "0")
            return text
        if isinstance(field, models.BooleanField):
            return True
        if isinstance(field, models.DecimalField):
            return decimal.Decimal(1)
        if isinstance(field, models.IntegerField):
            return number
        if isinstance(field, models.FloatField):
            return float(number)
        if isinstance(field, models.DateTimeField):
            return timezone.now()
        if isinstance(field, models.DateField):
            return timezone.localdate()
        if isinstance(field, models.TimeField):
            return datetime.time(9, 30)
        if isinstance(field, models.DurationField):
            return datetime.timedelta(minutes=number)
        if isinstance(field, models.UUIDField):
            return uuid.uuid4()
        if isinstance(field, models.JSONField):
            return {"row": number}
        if isinstance(field, models.BinaryField):
            return b"row"
        raise TypeError(f"no value for {field!r} ({type(field).__name__})")
