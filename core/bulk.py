"""Writing the same fields of many rows in few statements: a field with one value across the
rows goes in a single UPDATE; only the fields whose values differ row to row need Django's
``bulk_update`` (a CASE per field, which costs Python time per row)."""
from django.db import models


def update_rows(rows: list[models.Model], fields: list[str]) -> None:
    """Save ``fields`` (plain, non-relation field names) of ``rows``, all of one model."""
    if not rows:
        return
    first = rows[0]
    common = {f: getattr(first, f) for f in fields if all(getattr(r, f) == getattr(first, f) for r in rows)}
    varying = [f for f in fields if f not in common]
    manager = type(first)._default_manager
    if common:
        manager.filter(pk__in=[r.pk for r in rows]).update(**common)
    if varying:
        manager.bulk_update(rows, varying)
