"""jiceng metrics-rollup [--month YYYY-MM ...] [--stale]: rebuild months of the metrics rollup.

The rollup is derived (jiceng/cases/metrics_rollup.py): the dashboard computes any month whose build
is missing or stale live, so running this only makes the dashboard faster, never more correct.
Run it with --stale nightly (or hourly): it rebuilds every settled month that has no fresh build and
moves the marks of the fresh ones up, so the dashboard's freshness check reads only recent rows.
"""

from __future__ import annotations

import re
import time

from django.core.management.base import BaseCommand, CommandError

from jiceng.cases.metrics_rollup import rollup_build, rollup_due_months, rollup_remark, rollup_settled_months


class Command(BaseCommand):
    help = "Rebuild months of the feedback metrics rollup from the cases, events and ratings."

    def add_arguments(self, parser):
        parser.add_argument("--month", action="append", default=[], help="a month to rebuild, YYYY-MM (repeatable)")
        parser.add_argument("--stale", action="store_true", help="rebuild every settled month without a fresh build")

    def handle(self, *args, month: list[str], stale: bool, **options):
        for m in month:
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m):
                raise CommandError(f"--month {m}: expected YYYY-MM")
        if not month and not stale:
            raise CommandError("give --month YYYY-MM or --stale")
        months = sorted(set(month) | (set(rollup_due_months()) if stale else set()))
        for m in months:
            t = time.perf_counter()
            build = rollup_build(month=m)
            self.stdout.write(f"{m}: {build.rows} rows in {time.perf_counter() - t:.1f} s")
        if not months:
            self.stdout.write("every settled month is fresh")
        if stale:
            # The months left fresh need only read what is written from now on (rollup_remark).
            moved = rollup_remark(months=rollup_settled_months())
            self.stdout.write(f"marks moved up on {moved} fresh months")
