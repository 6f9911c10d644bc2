"""Writing the same fields of many rows in few statements: a field with one value across the
rows goes in a single UPDATE; the fields whose values differ row to row go in one more UPDATE
joined to a VALUES list on PostgreSQL (Django's ``bulk_update`` elsewhere: a CASE per field and
row, which costs Python time per row)."""

from django.db import connections, models, router


def update_rows(rows: list[models.Model], fields: list[str]) -> None:
    """Save ``fields`` (plain, non-relation field names) of ``rows``, all of one model."""
    if not rows:
        return
    first = rows[0]
    common = {f: getattr(first, f) for f in fields if all(getattr(r, f) == getattr(first, f) for r in rows)}
    varying = [f for f in fields if f not in common]
    model = type(first)
    if common:
        model._default_manager.filter(pk__in=[r.pk for r in rows]).update(**common)
    if varying:
        connection = connections[router.db_for_write(model)]
        if connection.vendor == "postgresql":
            _update_from_values(connection, model, rows, varying)
        else:
            model._default_manager.bulk_update(rows, varying)


def _update_from_values(connection, model, rows, names: list[str]) -> None:
    """``UPDATE t SET f = v.f FROM (VALUES (pk, f), ...) v WHERE t.pk = v.pk`` in one statement."""
    quote, meta = connection.ops.quote_name, model._meta
    fields = [meta.pk] + [meta.get_field(name) for name in names]
    row_sql = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields) + ")"
    params = [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows for f in fields]
    columns = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
    pk = quote(meta.pk.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v ({columns}) WHERE t.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
