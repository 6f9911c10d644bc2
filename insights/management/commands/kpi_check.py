"""``manage.py kpi_check``: compare the KPI dashboard's figures (all time, all brands) with the
same figures computed independently from plain SQL rows; print a table; exit 1 on a mismatch."""

import json

from django.core.management.base import BaseCommand, CommandError

from insights.kpi_check import compare


class Command(BaseCommand):
    help = "Check the KPI dashboard's numbers against an independent computation from raw SQL."

    def handle(self, *args, **opts):
        rows = compare()
        for row in rows:
            shown = {
                k: (
                    {" / ".join(map(str, key)) if isinstance(key, tuple) else key: v for key, v in value.items()}
                    if isinstance(value, dict)
                    else value
                )
                for k, value in row.items()
            }
            self.stdout.write(json.dumps(shown, default=str))
        bad = [r["figure"] for r in rows if not r["match"]]
        if bad:
            raise CommandError(f"mismatch: {', '.join(bad)}")
        self.stdout.write(f"all {len(rows)} figures match")
