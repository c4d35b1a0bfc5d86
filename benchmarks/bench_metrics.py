"""Metrics benchmark: a district year of cases with their events and ratings, the three-rates dashboard
(jiceng.cases.metrics) beside its floors measured in the same run on the same data.

    .venv/bin/python benchmarks/bench_metrics.py                                   # SQLite, 300,000 cases
    .venv/bin/python benchmarks/bench_metrics.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_metrics
    .venv/bin/python benchmarks/bench_metrics.py --cases 50000                     # a quicker run

The demo district (534 grids, its departments and the case taxonomy) is built first; the cases are
then generated inside the database (INSERT … SELECT over a recursive series), each walking the state
machine: report, dispatch, accept (some late, some never), handle, sometimes rework, verify, close,
and for seven closed cases in ten a follow-up rating. Measured:
  1. generating the cases, events and ratings (rows per second; no floor, for the record)
  2. metrics_cube as the district official (the one grouped statement behind every figure)
       vs the same statement run raw (what the ORM compile and Python rollup add)
       vs a bare COUNT(*) GROUP BY (month, grid) of the cases (what deriving from events and ratings costs)
  3. metrics_dashboard (every table) as the district and as one community
  4. the dashboard page over HTTP (django.test.Client), with its query count at two district sizes

It never touches var/: the default database is /tmp/jiceng_bench_metrics/bench.sqlite3 (recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DIR = Path("/tmp/jiceng_bench_metrics")
RESULTS: list[dict] = []


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    p.add_argument("--cases", type=int, default=300_000)
    p.add_argument("--reuse", action="store_true", help="keep the district and cases already in the database")
    p.add_argument("--json", default="", help="also write the figures to this JSON file")
    return p.parse_args()


def setup_django(url: str) -> None:
    os.environ["JICENG_DATABASE_URL"] = url
    os.environ.setdefault("JICENG_VAR_DIR", str(BENCH_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    elif not url.startswith("sqlite"):
        raise SystemExit("sqlite:/// or postgres:// only")
    import logging
    import warnings

    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")


def line(what: str, value: float, unit: str, floor: float, floor_what: str) -> None:
    ratio = value / floor if floor else float("inf")
    RESULTS.append({"what": what, "value": value, "unit": unit, "floor": floor, "floor_what": floor_what,
                    "ratio": ratio})
    print(f"  {what:<50} {value:>10,.3f} {unit:<3} floor {floor:>10,.3f}  ({floor_what})  ratio {ratio:5.2f}x")


def timed(fn, repeat: int = 5, budget: float = 20.0) -> float:
    """Median seconds of fn() after one warm-up; stops after `budget` seconds (at least three runs)."""
    fn()
    samples: list[float] = []
    while len(samples) < repeat and (len(samples) < 3 or sum(samples) < budget):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


# --- 1. data ------------------------------------------------------------------------------------------


def _add_hours(col: str, hours: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({col} + ({hours}) * interval '1 hour')"
    return f"datetime({col}, '+' || ({hours}) || ' hours')"


def generate(n: int, *, days: float = 365, chunks: int = 1) -> None:
    """n cases over `days` days from 2025-12-01 (Asia/Shanghai), with events and ratings, all made by
    the database itself. Pseudo-random choices come from the case id (k), so a run is reproducible.
    `chunks` > 1 writes consecutive id ranges (each a stretch of time: 12 chunks are month-sized), each
    in its own transaction, so no statement holds a year of rows at once."""
    from django.db import connection

    from jiceng.areas.models import Area
    from jiceng.cases.models import Case, Category
    from jiceng.cases.services import taxonomy_load_default
    from jiceng.demo.cases import CATALOGUE
    from jiceng.units.models import Unit

    if not Category.objects.exists():
        taxonomy_load_default(actor=None)
    pg = connection.vendor == "postgresql"
    grids = list(Area.objects.filter(kind="grid").order_by("path").values_list("id", "path"))
    by_path = dict(Area.objects.filter(kind__in=["district", "subdistrict", "community"]).values_list("path", "id"))
    leaves = list(Category.objects.filter(depth=2, active=True).order_by("path").values_list("id", "code"))
    departments = {int(u.code.rsplit("-D", 1)[1]): u.pk for u in Unit.objects.filter(code__contains="-D")}
    step = Area.steplen
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_grid")
        cur.execute("DROP TABLE IF EXISTS bench_cat")
        cur.execute("CREATE TABLE bench_grid (n integer PRIMARY KEY, id integer, path varchar(255), d integer, "
                    "s integer, c integer)")
        cur.execute("CREATE TABLE bench_cat (n integer PRIMARY KEY, id integer, unit integer)")
        cur.executemany("INSERT INTO bench_grid VALUES (%s, %s, %s, %s, %s, %s)",
                        [(i, gid, path, by_path[path[:step]], by_path[path[:2 * step]], by_path[path[:3 * step]])
                         for i, (gid, path) in enumerate(grids)])
        cur.executemany("INSERT INTO bench_cat VALUES (%s, %s, %s)",
                        [(i, cid, departments.get(CATALOGUE.get(code[:3], 0))) for i, (cid, code) in enumerate(leaves)])
    first = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    t = time.perf_counter()
    size = -(-n // chunks)
    for lo in range(first, first + n, size):
        hi = min(lo + size, first + n) - 1
        _generate_chunk(first, n, lo, hi, days, len(grids), len(leaves), pg)
        print(f"    cases {lo - first + 1:,}-{hi - first + 1:,} written ({time.perf_counter() - t:,.0f} s)", flush=True)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_grid")
        cur.execute("DROP TABLE bench_cat")
    _after_load(pg, t)


def _generate_chunk(first: int, n: int, lo: int, hi: int, days: float, G: int, C: int, pg: bool) -> None:  # noqa: N803
    """Cases first+(lo..hi) of n, with their events and ratings, in one transaction."""
    from django.db import connection, transaction

    span = days * 86400 / n
    series = (f"SELECT i FROM generate_series({lo}::bigint, {hi}) AS s(i)" if pg else
              f"WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi}) "
              "SELECT i FROM s")
    start = "timestamptz '2025-11-30 16:00:00+00'" if pg else "'2025-11-30 16:00:00'"
    offset = f"((s.i - {first}) * {span} + (s.i * 7919) % 3600)"
    created = (f"({start} + {offset} * interval '1 second')" if pg else
               f"datetime({start}, '+' || CAST({offset} AS INTEGER) || ' seconds')")
    lpad = "lpad(s.i::text, 13, '0')" if pg else "substr('0000000000000' || s.i, -13)"
    k = "s.i"
    # Which cases stop where: k % 50 = 0 never dispatched, 1 never accepted, 2 still being handled.
    state = (f"CASE WHEN {k} % 50 = 0 THEN 'registered' WHEN {k} % 50 = 1 THEN 'dispatched' "
             f"WHEN {k} % 50 = 2 THEN 'accepted' ELSE 'closed' END")
    accept_h = "(c.id * 7 % 29)"  # hours from dispatch to acceptance: 25-28 are late for a normal case
    handle_h = "(c.id * 13 % 40 + 1)"
    rework = "(c.id % 23 = 0)"
    t_dispatch = _add_hours("c.created_at", "1")
    t_accept = _add_hours("c.created_at", f"1 + {accept_h}")
    t_handle = _add_hours("c.created_at", f"1 + {accept_h} + {handle_h}")
    t_last = _add_hours("c.created_at", f"1 + {accept_h} + {handle_h} + CASE WHEN {rework} THEN 8 ELSE 0 END")
    closed_at = _add_hours("c.created_at", f"4 + {accept_h} + {handle_h} + CASE WHEN {rework} THEN 8 ELSE 0 END")
    handle_due_expr = (f"({created} + interval '49 hours')" if pg else f"datetime({created}, '+49 hours')")
    closed_expr = (f"CASE WHEN {k} % 50 > 2 THEN ({created} + (4 + ({k} * 7 % 29) + ({k} * 13 % 40 + 1) + "
                   f"CASE WHEN {k} % 23 = 0 THEN 8 ELSE 0 END) * interval '1 hour') END" if pg else
                   f"CASE WHEN {k} % 50 > 2 THEN datetime({created}, '+' || (4 + ({k} * 7 % 29) + ({k} * 13 % 40 + 1)"
                   f" + CASE WHEN {k} % 23 = 0 THEN 8 ELSE 0 END) || ' hours') END")
    empty_json = "'{}'::jsonb" if pg else "'{}'"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"""
INSERT INTO cases_case (id, area_path, district_id, subdistrict_id, community_id, grid_id, number, channel,
  source_ref, category_id, urgency, title, description, lat, lng, address, building_id, reporter_name,
  reporter_phone_encrypted, reporter_phone_index, reporter_phone_masked, suggested_unit_id, unit_id, state,
  version, triage_reason, created_by_id, created_at, register_due, dispatch_due, handle_due, verify_due,
  suspended_at, closed_at, merged_into_id)
SELECT s.i, g.path, g.d, g.s, g.c, g.id, 'BM' || {lpad}, 'hotline_12345', '', cat.id,
  CASE WHEN {k} % 20 = 0 THEN 'urgent' ELSE 'normal' END, '占道经营', '基准数据', NULL, NULL, '', NULL, '', '', '', '',
  cat.unit, CASE WHEN {k} % 50 = 0 THEN NULL ELSE cat.unit END, {state}, 1, '', NULL, {created}, NULL, NULL,
  CASE WHEN {k} % 50 = 0 THEN NULL ELSE {handle_due_expr} END, NULL, NULL, {closed_expr}, NULL
FROM ({series}) s JOIN bench_grid g ON g.n = (s.i * 31) % {G} JOIN bench_cat cat ON cat.n = (s.i * 17) % {C}
""")  # noqa: S608 - the benchmark's own constants
        new = f"c.id BETWEEN {lo} AND {hi}"

        def events(seq: str, at: str, transition: str, frm: str, to: str, where: str) -> None:
            cur.execute(f"""
INSERT INTO cases_caseevent (case_id, seq, at, actor_id, transition, from_state, to_state, note, data)
SELECT c.id, {seq}, {at}, NULL, '{transition}', '{frm}', '{to}', '', {empty_json} FROM cases_case c
WHERE {new} AND {where}""")  # noqa: S608

        events("1", "c.created_at", "report", "", "registered", "1 = 1")
        events("2", t_dispatch, "dispatch", "registered", "dispatched", "c.id % 50 <> 0")
        events("3", t_accept, "accept", "dispatched", "accepted", "c.id % 50 NOT IN (0, 1)")
        events("4", t_handle, "handle", "accepted", "handled", "c.id % 50 > 2")
        events("5", _add_hours(t_handle, "2"), "rework", "handled", "accepted", f"c.id % 50 > 2 AND {rework}")
        events("6", t_last, "handle", "accepted", "handled", f"c.id % 50 > 2 AND {rework}")
        events(f"CASE WHEN {rework} THEN 7 ELSE 5 END", _add_hours(t_last, "2"), "verify", "handled", "verified",
               "c.id % 50 > 2")
        events(f"CASE WHEN {rework} THEN 8 ELSE 6 END", closed_at, "close", "verified", "closed", "c.id % 50 > 2")
        cur.execute(f"UPDATE cases_case SET version = CASE WHEN id % 50 = 0 THEN 1 WHEN id % 50 = 1 THEN 2 "
                    f"WHEN id % 50 = 2 THEN 3 WHEN id % 23 = 0 THEN 8 ELSE 6 END WHERE id BETWEEN {lo} AND {hi}")  # noqa: S608
        cur.execute(f"""
INSERT INTO cases_casefeedback (case_id, source, rating, resolved, comment, reached, actor_id, at)
SELECT c.id, 'follow_up',
  CASE WHEN c.id % 100 < 80 THEN 'satisfied' WHEN c.id % 100 < 93 THEN 'basically' ELSE 'unsatisfied' END,
  c.id % 100 < 93 OR c.id % 7 = 0, '', {'true' if pg else '1'}, NULL, {_add_hours('c.closed_at', '5')}
FROM cases_case c WHERE {new} AND c.state = 'closed' AND c.id % 10 < 7""")  # noqa: S608


def _after_load(pg: bool, t: float) -> None:
    from django.db import connection

    from jiceng.cases.models import Case

    if pg:
        from django.core.management.color import no_style

        from jiceng.cases.models import CaseEvent, CaseFeedback

        with connection.cursor() as cur:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Case, CaseEvent, CaseFeedback]):
                cur.execute(statement)
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    seconds = time.perf_counter() - t
    from jiceng.cases.models import CaseEvent, CaseFeedback

    counts = (Case.objects.count(), CaseEvent.objects.count(), CaseFeedback.objects.count())
    print(f"  generated {counts[0]:,} cases, {counts[1]:,} events, {counts[2]:,} ratings in {seconds:,.1f} s "
          f"({sum(counts) / seconds:,.0f} rows/s)")
    RESULTS.append({"what": "generate", "cases": counts[0], "events": counts[1], "ratings": counts[2],
                    "seconds": seconds})


# --- 2-4. the dashboard ---------------------------------------------------------------------------------


def bench_dashboard() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jiceng.accounts.models import User
    from jiceng.cases import metrics
    from jiceng.cases.metrics import cube_sql

    district = User.objects.get(username="district")
    community = User.objects.get(username="community")
    period = metrics.Period(metrics.date(2025, 12, 1), metrics.date(2026, 11, 30), "custom")
    f = metrics.MetricFilters(period=period)

    def fresh(user):
        user.__dict__.pop("_jiceng_scope", None)  # the scope is computed per request in real use
        return user

    cube = metrics.metrics_cube(fresh(district), f, use_rollup=False)
    total = cube.total()
    groups = sum(len(g) for g in cube.groups.values())
    print(f"  district year: {total.cases:,} cases, {groups:,} groups; rates "
          + ", ".join(f"{k} {v:.3f}" for k, v in total.rates.items() if v is not None))
    lo, hi = period.bounds
    qn = connection.ops.adapt_datetimefield_value
    raw_base = ("SELECT id, created_at, urgency, state, closed_at, handle_due, district_id, subdistrict_id, "
                "community_id, grid_id, category_id, unit_id FROM cases_case WHERE merged_into_id IS NULL "
                "AND created_at >= %s AND created_at < %s")
    sql, extra = cube_sql(raw_base, qn(metrics.timezone.now()))

    def raw_cube():
        with connection.cursor() as cur:
            cur.execute(sql, [qn(lo), qn(hi), *extra])
            return cur.fetchall()

    assert len(raw_cube()) == groups
    month = metrics._sql_month("created_at")
    bare_sql = (f"SELECT {month}, grid_id, COUNT(*) FROM cases_case WHERE merged_into_id IS NULL "  # noqa: S608
                "AND created_at >= %s AND created_at < %s GROUP BY 1, grid_id")

    def bare():
        with connection.cursor() as cur:
            cur.execute(bare_sql, [qn(lo), qn(hi)])
            return cur.fetchall()

    t_cube = timed(lambda: metrics.metrics_cube(fresh(district), f, use_rollup=False))
    t_raw = timed(raw_cube)
    t_bare = timed(bare)
    line("metrics_cube, district year", t_cube * 1000, "ms", t_raw * 1000, "same statement run raw")
    line("metrics_cube, district year", t_cube * 1000, "ms", t_bare * 1000, "bare COUNT(*) GROUP BY month, grid")
    t_board = timed(lambda: metrics.metrics_dashboard(fresh(district), f))
    line("metrics_dashboard (every table), district", t_board * 1000, "ms", t_raw * 1000, "the cube's SQL run raw")
    c_f = metrics.MetricFilters(period=period)
    c_cube = metrics.metrics_cube(fresh(community), c_f)
    t_comm = timed(lambda: metrics.metrics_dashboard(fresh(community), c_f))
    comm_area = community.grants.get().area
    c_sql, c_extra = cube_sql(raw_base + " AND community_id = %s", qn(metrics.timezone.now()))

    def raw_comm():
        with connection.cursor() as cur:
            cur.execute(c_sql, [qn(lo), qn(hi), comm_area.pk, *c_extra])
            return cur.fetchall()

    line(f"metrics_dashboard, one community ({c_cube.total().cases:,} cases)", t_comm * 1000, "ms",
         timed(raw_comm) * 1000, "the cube's SQL for it run raw")

    client = Client()
    client.force_login(district)
    url = reverse("cases:metrics")
    params = {"period": "custom", "start": "2025-12-01", "end": "2026-11-30"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url, params).status_code
    queries = len(ctx.captured_queries)
    line(f"dashboard page, district (HTTP {status}, {queries} queries)",
         timed(lambda: client.get(url, params)) * 1000, "ms", t_raw * 1000, "the cube's SQL run raw")
    RESULTS.append({"what": "dashboard page queries", "district": queries})


def main() -> None:
    args = parse_args()
    if args.database_url.startswith("sqlite:///") and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    setup_django(args.database_url)
    import sqlite3

    from django.core.management import call_command
    from django.db import connection

    from jiceng.areas.models import Area
    from jiceng.cases.models import Case
    from jiceng.demo.build import build_demo

    vendor = connection.vendor
    version = connection.pg_version if vendor == "postgresql" else sqlite3.sqlite_version
    print(f"jiceng metrics benchmark — {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{vendor} {version}")
    call_command("migrate", interactive=False, verbosity=0)
    print("1. data")
    if not (args.reuse and Area.objects.filter(kind="district").exists()):
        build_demo(full=False, residents=200, reset=True, cases=0)
    if args.reuse and Case.objects.exists():
        print(f"  (reusing {Case.objects.count():,} cases)")
    else:
        generate(args.cases)
    print("2-4. the dashboard")
    bench_dashboard()
    if args.json:
        Path(args.json).write_text(json.dumps({"vendor": vendor, "cpus": os.cpu_count(), "results": RESULTS},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
