from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiceng.demo.build import DEFAULT_RESIDENTS, DemoExists, build_demo
from jiceng.demo.cases import DEFAULT_CASES
from jiceng.demo.logins import DEMO_LOGINS


class Command(BaseCommand):
    help = (
        "Build the demo district 福州市鼓楼区 at real scale: 10 subdistricts, 69 communities, 534 grids, "
        "588 compounds, the five-level Party network, units, and a sample of residents (--full: all 720,000)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="insert all 720,000 residents and ~7%% members")
        parser.add_argument("--reset", action="store_true", help="wipe the existing district first")
        parser.add_argument(
            "--residents",
            type=int,
            default=DEFAULT_RESIDENTS,
            help=f"sample residents besides office-holders (default {DEFAULT_RESIDENTS}; ignored with --full)",
        )
        parser.add_argument(
            "--cases", type=int, default=DEFAULT_CASES,
            help=f"cases reported over the past year, walked through their workflow (default {DEFAULT_CASES:,})",
        )

    def handle(self, *args, full: bool, reset: bool, residents: int, cases: int, **options):
        if residents < 0 or cases < 0:
            raise CommandError("--residents and --cases must be zero or more")
        what = "all 720,000 residents" if full else f"a sample of {residents:,} residents"
        self.stdout.write(f"Building 福州市鼓楼区 with {what} …")
        t = time.perf_counter()
        try:
            report = build_demo(full=full, residents=residents, reset=reset, cases=cases, party_life=True,
                                log=self.stdout.write)
        except DemoExists:
            raise CommandError(
                "The database already holds a district. Run `jiceng demo --reset` to wipe it and build again."
            ) from None
        c = report.counts
        self.stdout.write(
            f"Built in {time.perf_counter() - t:.1f} s: {c['subdistricts']} subdistricts, {c['communities']} "
            f"communities, {c['grids']} grids, {c['compounds']} compounds, {c['buildings']:,} buildings; "
            f"{c['party_organizations']:,} Party organizations, {c['positions']:,} positions "
            f"({c['part_time_members']} part-time members); {c['units']:,} units; {c['residents']:,} residents "
            f"and {c['members']:,} Party members (population on record {c['population']:,})."
        )
        if options.get("verbosity", 1) >= 1:
            logins = ", ".join(u for u, _ in DEMO_LOGINS)
            self.stdout.write(f"Demo logins (password {settings.DEMO_PASSWORD}): {logins}")
