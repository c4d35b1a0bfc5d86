"""Party benchmark: the district's meeting-compliance roll-up and the points ranking, at real scale, each
figure beside its floor measured in the same run on the same data.

    .venv/bin/python benchmarks/bench_party.py                     # SQLite file under /tmp, full district
    .venv/bin/python benchmarks/bench_party.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_party
    .venv/bin/python benchmarks/bench_party.py --residents 50000   # a quicker, partial run
    .venv/bin/python benchmarks/bench_party.py --reuse             # the district and ledger already built

The data: the full demo district (720,000 residents, 52,238 members, every Party organization) with this
year's Party life (jiceng/demo/party_life.py: the meetings the rulebook asks of every organization, with
attendance) and the points ledger derived from it the way posting does (jiceng/demo/points.py: every member
present at an approved meeting gets the rulebook item for that meeting kind, capped per item and year; a
third of the members also have service hours this year and last, one in twenty a manual award). Entries are
bulk-inserted, not posted one by one.

Measured, each against a floor taken in the same run on the same data:
  1. compliance_rollup (jiceng/party/meeting_selectors.py) for every organization of the district, the four
     quarters of the year, as the district administrator  vs  the same SQL statements run raw
  2. points_ranking (jiceng/party/points_selectors.py) as the district administrator and as a community
     worker  vs  the same SQL statements run raw; and the ranking checked equal to a recount in SQL

It never touches var/: the default database is /tmp/jiceng_bench/bench_party.sqlite3 (recreated each run).
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import BENCH_DIR, RESULTS, fresh_sqlite, line, setup_django, timed  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=f"sqlite:///{BENCH_DIR / 'bench_party.sqlite3'}")
    p.add_argument("--residents", type=int, default=0, help="sample size instead of the full 720,000 (0 = full)")
    p.add_argument("--reuse", action="store_true", help="keep the district and ledger already in the database")
    p.add_argument("--json", default="", help="also write the figures to this JSON file")
    return p.parse_args()


def build(full: bool, residents: int, reuse: bool) -> None:
    from django.core.management import call_command

    from jiceng.areas.models import Area
    from jiceng.demo.build import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Area.objects.filter(kind="district").exists():
        print("  (reusing the district in the database)")
        return
    t = time.perf_counter()
    report = build_demo(full=full, residents=residents, reset=True, party_life=True, log=lambda s: print("   " + s))
    c = report.counts
    print(f"  built {c['residents']:,} residents, {c['members']:,} members in {time.perf_counter() - t:.1f} s")


def settle() -> None:
    """On PostgreSQL, VACUUM the bulk-loaded ledger and meetings, as autovacuum would soon after a load:
    until the visibility map is set, an index-only scan still fetches every heap row (1.27 million for the
    district's ranking), which measures the load, not the query."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    t = time.perf_counter()
    with connection.cursor() as cur:
        for table in ("party_pointsentry", "party_meeting", "party_meetingattendance", "party_member"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  VACUUM (ANALYZE) of the ledger and meetings: {time.perf_counter() - t:.1f} s")


def replay(queries: list[dict]):
    """The floor: the statements the selector sent, run raw through a cursor (rows fetched)."""
    from django.db import connection

    def run():
        with connection.cursor() as cur:
            for q in queries:
                cur.execute(q["sql"])
                cur.fetchall()

    return run


def captured(fn) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    # The scope's grants are read once per user object; the floor needs only the data statements.
    return [q for q in ctx.captured_queries if "accounts_rolegrant" not in q["sql"]
            and "areas_served" not in q["sql"]]


def fresh(user):
    user.__dict__.pop("_jiceng_scope", None)  # scope computed per request in real use
    return user


def bench_rollup() -> None:
    from django.utils import timezone

    from jiceng.accounts.models import User
    from jiceng.party.meeting_selectors import compliance_rollup
    from jiceng.party.models import PartyOrg

    user = User.objects.get(username="district")
    year = timezone.localdate().year

    def ours():
        return [compliance_rollup(fresh(user), year, q) for q in range(1, 5)]

    result = ours()
    orgs = PartyOrg.objects.count()
    rows = len(result[0].rows)
    behind = sum(1 for r in result[-1].rows if r.behind)
    queries = captured(ours)
    print(f"  {orgs:,} organizations, {rows:,} with obligations; {len(queries)} statements for the four quarters;"
          f" {behind:,} behind in Q4")
    line("compliance roll-up, district, 4 quarters", timed(ours, 5) * 1000, "ms", timed(replay(queries), 5) * 1000,
         "the same SQL run raw")


def bench_ranking() -> None:
    from django.db import connection
    from django.utils import timezone

    from jiceng.accounts.models import User
    from jiceng.party.points_models import PointsEntry
    from jiceng.party.points_selectors import points_ranking

    year = timezone.localdate().year
    print(f"  {PointsEntry.objects.count():,} entries in the ledger, {PointsEntry.objects.filter(year=year).count():,}"
          f" of {year}")
    for username in ("district", "community"):
        user = User.objects.get(username=username)

        def ours(user=user):
            return points_ranking(fresh(user), year)

        data = ours()
        queries = captured(ours)
        # The ranking equals a recount: the same totals summed by the database without the ORM's help.
        with connection.cursor() as cur:
            cur.execute("SELECT member_id, SUM(points) FROM party_pointsentry WHERE year = %s GROUP BY member_id",
                        [year])
            recount = {m: Decimal(str(s)) for m, s in cur.fetchall()}
        ranked = {r.member_id: r.total for r in data.members if r.total}
        in_scope = {r.member_id for r in data.members}
        expected = {m: s for m, s in recount.items() if m in in_scope and s}
        assert ranked == expected, "the ranking differs from a recount"
        line(f"points ranking, {username} ({len(data.members):,} members, {len(queries)} statements)",
             timed(ours, 5) * 1000, "ms", timed(replay(queries), 5) * 1000, "the same SQL run raw")
        RESULTS.append({"what": f"ranking {username}", "members": len(data.members),
                        "branches": len(data.branches), "communities": len(data.communities)})


def main() -> None:
    args = parse_args()
    fresh_sqlite(args.database_url, args.reuse)
    setup_django(args.database_url)
    from django.db import connection

    vendor = connection.vendor
    import sqlite3

    version = connection.pg_version if vendor == "postgresql" else sqlite3.sqlite_version
    print(f"jiceng Party benchmark — {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{vendor} {version}")
    print("0. build (district, this year's Party life, points ledger)")
    build(args.residents == 0, args.residents, args.reuse)
    settle()
    print("1. compliance roll-up")
    bench_rollup()
    print("2. points ranking")
    bench_ranking()
    if args.json:
        Path(args.json).write_text(json.dumps({"vendor": vendor, "cpus": os.cpu_count(), "results": RESULTS},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
