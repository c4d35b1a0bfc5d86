"""Metrics at Beijing scale: 21 million cases a year (Beijing's 12345 hotline volume) in the demo
district's 534 grids, the monthly rollup (jiceng.cases.metrics_rollup) built and the three-rates
dashboard read through it, each figure beside its floor measured in the same run.

    .venv/bin/python benchmarks/bench_metrics_beijing.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_beijing
    .venv/bin/python benchmarks/bench_metrics_beijing.py                       # SQLite, /tmp/jiceng_bench_beijing
    .venv/bin/python benchmarks/bench_metrics_beijing.py --cases 1000000       # a smaller run
    .venv/bin/python benchmarks/bench_metrics_beijing.py --reuse ...           # measure again on the same data

Generation (benchmarks/bench_metrics.generate, the same state-machine walk as bench_metrics.py) runs
inside the database in twelve month-sized chunks, with the secondary indexes and constraints of
cases, events and ratings dropped during the load and rebuilt after (foreign keys re-added NOT VALID
on PostgreSQL: the generator wrote the ids itself; a reader's plans do not use them). Then:
  1. rollup_build of one month             vs the same DELETE + INSERT … SELECT run raw (rolled back)
  2. `jiceng metrics-rollup --stale` (the year) vs the same INSERT … SELECT over the year run raw
  3. metrics_dashboard, district year, every month fresh
       vs a raw GROUP BY over the year's rollup rows, and vs the live statement over the facts (once)
  4. metrics_dashboard, one community, every month fresh vs a raw GROUP BY over its rollup rows
  5. metrics_dashboard with the last month (November, 1.75 M cases) live, as the current month is
       vs the live statement for that month alone, raw
The figures through the rollup are checked equal to the live statement's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_metrics as bm  # noqa: E402 - after the path is set

BENCH_DIR = Path("/tmp/jiceng_bench_beijing")
TABLES = ("cases_case", "cases_caseevent", "cases_casefeedback")
YEAR = ("2025-12", "2026-11")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    p.add_argument("--cases", type=int, default=21_000_000)
    p.add_argument("--reuse", action="store_true", help="keep the district and cases already in the database")
    p.add_argument("--no-year-floor", action="store_true", help="skip the raw year INSERT … SELECT (long)")
    p.add_argument("--skip-build", action="store_true",
                   help="with --reuse: keep the months already built, build only the missing (skips 1, 2, 7)")
    p.add_argument("--json", default="", help="also write the figures to this JSON file")
    return p.parse_args()


def once(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# --- loading ------------------------------------------------------------------------------------------


def drop_secondary_indexes() -> list[str]:
    """Drop the indexes and constraints (other than primary keys) of cases, events and ratings; return
    the statements that recreate them."""
    from django.db import connection

    again: list[str] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                           FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')""",
                        [list(TABLES)])
            constraints = cur.fetchall()
            for table, name, definition, kind in constraints:
                if kind == "f":
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
            for table, name, definition, kind in constraints:
                if kind == "u":
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    again.insert(0, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cur.execute("""SELECT i.indexname, i.indexdef FROM pg_indexes i
                           WHERE i.tablename = ANY(%s) AND NOT EXISTS (
                             SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""", [list(TABLES)])
            for name, definition in cur.fetchall():
                cur.execute(f'DROP INDEX "{name}"')
                again.insert(0, definition)
        else:
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        f"AND tbl_name IN {TABLES}")
            for name, definition in cur.fetchall():
                cur.execute(f'DROP INDEX "{name}"')
                again.append(definition)
    return again


def load(n: int) -> None:
    from django.db import connection

    t = time.perf_counter()
    again = drop_secondary_indexes()
    print(f"  dropped {len(again)} secondary indexes and constraints", flush=True)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET synchronous_commit = off")
        else:
            cur.execute("PRAGMA cache_size = -1000000")  # 1 GB of page cache for the load
    # 361 days, so the last cases' events (up to ~80 hours later) are in the past when measured.
    bm.generate(n, days=361, chunks=12)
    t_idx = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET maintenance_work_mem = '1GB'")
        for statement in again:
            cur.execute(statement)
    print(f"  rebuilt the indexes and constraints in {time.perf_counter() - t_idx:,.0f} s", flush=True)
    t_vac = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # As autovacuum would, before anyone reads: visibility map and hint bits set, statistics fresh.
            for table in TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cur.execute("ANALYZE")
    print(f"  vacuum/analyze {time.perf_counter() - t_vac:,.0f} s; load in all {time.perf_counter() - t:,.0f} s",
          flush=True)
    bm.RESULTS.append({"what": "load", "seconds": time.perf_counter() - t})


# --- measuring ----------------------------------------------------------------------------------------


def raw_rollup_sql(where: str = "") -> str:
    from jiceng.cases import metrics

    cols = ", ".join((*metrics.ROLLUP_KEYS, *metrics.COUNT_FIELDS))
    return (f"WITH src AS MATERIALIZED (SELECT {cols} FROM cases_metricsrollup "  # noqa: S608 - constants
            f"WHERE month >= '{YEAR[0]}' AND month <= '{YEAR[1]}' {where}){metrics.cube_tail('src')}")


def fetch(sql: str, params=()) -> list:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return cur.fetchall()


def groups_of(rows) -> dict:
    return {(dim, label if dim == "month" else key): tuple(int(v or 0) for v in values)
            for dim, label, key, *values in rows}


def cube_groups(cube) -> dict:
    from dataclasses import astuple

    return {(dim, k): astuple(c) for dim, g in cube.groups.items() for k, c in g.items()}


def bench(args) -> None:
    from django.db import connection, transaction

    from jiceng.accounts.models import User
    from jiceng.cases import metrics, metrics_rollup
    from jiceng.cases.models import MetricsRollup

    adapt = connection.ops.adapt_datetimefield_value
    district = User.objects.get(username="district")
    community = User.objects.get(username="community")
    comm_id = community.grants.get().area_id
    period = metrics.Period(metrics.date(2025, 12, 1), metrics.date(2026, 11, 30), "custom")
    f = metrics.MetricFilters(period=period)

    def fresh(user):
        user.__dict__.pop("_jiceng_scope", None)  # the scope is computed per request in real use
        return user

    def raw_insert(lo, hi, first: str, last: str) -> None:
        """The build's DELETE and INSERT … SELECT for the months first..last, raw, rolled back."""
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM cases_metricsrollup WHERE month >= %s AND month <= %s", [first, last])
            cur.execute(metrics_rollup._insert_sql(), [adapt(lo), adapt(hi), adapt(metrics.timezone.now())])
            transaction.set_rollback(True)

    if not args.skip_build:
        t_year = build_steps(adapt, raw_insert, period)
    else:
        from django.core.management import call_command

        t_year = None
        t_missing = once(lambda: call_command("metrics-rollup", "--stale"))
        print(f"  (reusing {MetricsRollup.objects.count():,} rollup rows; the months missing or stale built "
              f"in {t_missing:,.1f} s)", flush=True)
    dashboard_steps(args, adapt, district, community, comm_id, period, f, fresh, raw_insert, t_year)


def build_steps(adapt, raw_insert, period) -> float:
    from django.core.management import call_command

    from jiceng.cases import metrics, metrics_rollup
    from jiceng.cases.models import MetricsRollup, MetricsRollupBuild

    print("1. one month's build", flush=True)
    month = "2026-06"
    m_lo, m_hi = metrics_rollup.month_bounds(month)
    t_floor = once(lambda: raw_insert(m_lo, m_hi, month, month))
    t_build = once(lambda: metrics_rollup.rollup_build(month=month))
    rows = MetricsRollupBuild.objects.get(month=month).rows
    bm.line(f"rollup_build {month} ({rows:,} rows)", t_build, "s", t_floor, "DELETE + INSERT…SELECT raw")

    print("2. the year's build (jiceng metrics-rollup --stale)", flush=True)
    MetricsRollupBuild.objects.all().delete()
    MetricsRollup.objects.all().delete()
    t_year = once(lambda: call_command("metrics-rollup", "--stale"))
    year_rows = MetricsRollup.objects.count()
    assert sorted(MetricsRollupBuild.objects.values_list("month", flat=True)) == metrics._months(period)
    bm.RESULTS.append({"what": "year build", "seconds": t_year, "rows": year_rows})
    print(f"  built 12 months, {year_rows:,} rollup rows, in {t_year:,.1f} s", flush=True)
    return t_year


def dashboard_steps(args, adapt, district, community, comm_id, period, f, fresh, raw_insert, t_year) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiceng.cases import metrics, metrics_rollup
    from jiceng.cases.models import MetricsRollupBuild

    t_check = bm.timed(lambda: metrics_rollup.rollup_fresh(metrics._months(period)))
    print(f"  freshness check of the 12 months (one query): {t_check * 1000:,.1f} ms", flush=True)
    bm.RESULTS.append({"what": "freshness check", "ms": t_check * 1000})
    print("3. district year dashboard, every month fresh", flush=True)
    raw_all = raw_rollup_sql()
    t_raw_roll = bm.timed(lambda: fetch(raw_all))
    t_board = bm.timed(lambda: metrics.metrics_dashboard(fresh(district), f))
    bm.line("metrics_dashboard, district year (fresh)", t_board * 1000, "ms", t_raw_roll * 1000,
            "raw GROUP BY over the rollup rows")
    with CaptureQueriesContext(connection) as ctx:
        metrics.metrics_dashboard(fresh(district), f)
    fresh_queries = len(ctx.captured_queries)
    via_rollup = cube_groups(metrics.metrics_cube(fresh(district), f))

    print("4. one community's dashboard, every month fresh", flush=True)
    raw_comm = raw_rollup_sql(f"AND community_id = {int(comm_id)}")
    t_raw_comm = bm.timed(lambda: fetch(raw_comm))
    c_total = metrics.metrics_cube(fresh(community), f).total().cases
    t_comm = bm.timed(lambda: metrics.metrics_dashboard(fresh(community), f))
    bm.line(f"metrics_dashboard, one community ({c_total:,} cases)", t_comm * 1000, "ms", t_raw_comm * 1000,
            "raw GROUP BY over its rollup rows")

    print("5. the dashboard with the last month live (as the current month is)", flush=True)
    last = YEAR[1]
    saved = MetricsRollupBuild.objects.get(month=last)
    MetricsRollupBuild.objects.filter(month=last).delete()
    l_lo, l_hi = metrics_rollup.month_bounds(last)
    base = metrics_rollup._build_base_sql()
    live_sql, extra = metrics.cube_sql(base, adapt(metrics.timezone.now()))
    t_live_month = once(lambda: fetch(live_sql, [adapt(l_lo), adapt(l_hi), *extra]))
    with CaptureQueriesContext(connection) as ctx:
        t_part = once(lambda: metrics.metrics_dashboard(fresh(district), f))
    part_queries = len(ctx.captured_queries)
    bm.line(f"metrics_dashboard, district year, {last} live", t_part, "s", t_live_month,
            f"the live statement for {last} alone, raw")
    partial = cube_groups(metrics.metrics_cube(fresh(district), f))
    saved.save()
    assert partial == via_rollup, "November live + eleven months rollup differs from twelve months rollup"
    print(f"  queries per dashboard: {fresh_queries} (every month fresh), {part_queries} (one month live)")
    bm.RESULTS.append({"what": "dashboard queries", "fresh": fresh_queries, "one month live": part_queries})

    print("6. the live statement over the year's facts (once)", flush=True)
    y_lo, y_hi = period.bounds
    live_rows: list = []
    t_live_year = once(lambda: live_rows.extend(fetch(live_sql, [adapt(y_lo), adapt(y_hi), *extra])))
    assert groups_of(live_rows) == via_rollup, "the rollup's figures differ from the live statement's"
    print("  the rollup's figures equal the live statement's, group by group", flush=True)
    bm.line("metrics_dashboard, district year (fresh)", t_board, "s", t_live_year,
            "the live statement over the facts, raw (once)")

    if not args.no_year_floor and t_year is not None:
        print("7. the year's INSERT…SELECT raw (the build's floor)", flush=True)
        t_year_floor = once(lambda: raw_insert(y_lo, y_hi, *YEAR))
        bm.line("jiceng metrics-rollup --stale (12 months)", t_year, "s", t_year_floor,
                "one INSERT…SELECT over the year, raw")


def main() -> None:
    args = parse_args()
    if args.database_url.startswith("sqlite:///") and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JICENG_VAR_DIR", str(BENCH_DIR))
    bm.setup_django(args.database_url)
    import sqlite3

    from django.core.management import call_command
    from django.db import connection

    from jiceng.areas.models import Area
    from jiceng.cases.models import Case
    from jiceng.demo.build import build_demo

    vendor = connection.vendor
    version = connection.pg_version if vendor == "postgresql" else sqlite3.sqlite_version
    print(f"jiceng metrics at Beijing scale — {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {vendor} {version}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    print("0. data", flush=True)
    if not (args.reuse and Area.objects.filter(kind="district").exists()):
        t = time.perf_counter()
        build_demo(full=False, residents=200, reset=True, cases=0)
        print(f"  demo district built in {time.perf_counter() - t:,.0f} s", flush=True)
    if args.reuse and Case.objects.exists():
        print(f"  (reusing {Case.objects.count():,} cases)")
    else:
        load(args.cases)
    bench(args)
    if args.json:
        Path(args.json).write_text(json.dumps({"vendor": vendor, "cpus": os.cpu_count(), "results": bm.RESULTS},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
