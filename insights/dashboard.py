"""The KPI dashboard (an admin page): filters for brand, channel, provider, notification type and
period; every KPI of ``kpis.py`` beside its target; the tables behind the charts (Chart.js from
our own static files), each exportable as CSV with ``?export=<table>``."""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse

from catalogue.models import NotificationType
from core.channels import Channel
from customers.models import Brand
from insights import kpis

TABLES = {  # name: (title, function, columns)
    "kpis": ("KPIs", kpis.kpi_summary, ("label", "value", "display", "target", "ok", "n", "formula")),
    "delivery_rates": (
        "Delivery rate per channel and provider",
        kpis.delivery_rates,
        ("channel", "provider", "attempted", "accepted", "rate"),
    ),
    "daily_delivery_rate": (
        "Delivery rate per day",
        kpis.daily_delivery_rate,
        ("day", "channel", "attempted", "accepted", "rate"),
    ),
    "volume_per_day": ("Volume per day", kpis.volume_per_day, ("day", "channel", "deliveries")),
    "failure_reasons": (
        "Failed attempts by reason",
        kpis.failure_reasons,
        ("day", "error_code", "outcome", "attempts"),
    ),
    "failed_deliveries": (
        "Deliveries that failed, by final status",
        kpis.failed_deliveries,
        ("status", "channel", "deliveries"),
    ),
}


def filters_from(request) -> kpis.KpiFilters:
    get = request.GET
    brand = get.get("brand", "")
    return kpis.KpiFilters.for_period(
        get.get("period", "7d"),
        brand_id=int(brand) if brand.isdigit() else None,
        channel=get.get("channel", "") if get.get("channel", "") in Channel.values else "",
        provider=get.get("provider", "")[:40],
        type_key=get.get("type", "")[:60],
    )


def csv_response(name: str, rows: list[dict], columns) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="waypost-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return response


def _series(rows: list[dict], *, key: str, value: str) -> dict:
    """Rows of (day, key, value) as Chart.js data: sorted day labels and one series per key."""
    days = sorted({str(r["day"]) for r in rows})
    series: dict[str, list] = {}
    for r in rows:
        series.setdefault(str(r[key]), [None if key == "channel" and value == "rate" else 0] * len(days))
        series[str(r[key])][days.index(str(r["day"]))] = r[value]
    return {"labels": days, "series": [{"label": k, "data": v} for k, v in sorted(series.items())]}


def dashboard_view(request):
    if not request.user.has_perm("notifications.view_kpi_dashboard"):
        raise PermissionDenied
    f = filters_from(request)
    export = request.GET.get("export", "")
    if export in TABLES:
        _title, fn, columns = TABLES[export]
        return csv_response(export, fn(f), columns)
    tables = {name: fn(f) for name, (_title, fn, _cols) in TABLES.items()}
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        **admin.site.each_context(request),
        "title": "KPI dashboard",
        "filters": f,
        "period": request.GET.get("period", "7d"),
        "periods": list(kpis.PERIODS),
        "brands": Brand.objects.order_by("name").values_list("pk", "name"),
        "channels": Channel.choices,
        "providers": kpis.deliveries(kpis.KpiFilters(start=f.start))
        .order_by()
        .values_list("provider", flat=True)
        .distinct(),
        "types": NotificationType.objects.order_by("key").values_list("key", flat=True),
        "tables": tables,
        "titles": {name: title for name, (title, _fn, _cols) in TABLES.items()},
        "query": query.urlencode(),
        "charts": {
            "rate": _series(tables["daily_delivery_rate"], key="channel", value="rate"),
            "volume": _series(tables["volume_per_day"], key="channel", value="deliveries"),
            "failures": _series(tables["failure_reasons"], key="error_code", value="attempts"),
        },
    }
    return TemplateResponse(request, "admin/dashboard/kpis.html", context)
