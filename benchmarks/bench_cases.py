"""Case benchmark: a district year of cases, each figure beside its floor measured in the same run.

    .venv/bin/python benchmarks/bench_cases.py                       # SQLite file under /tmp
    .venv/bin/python benchmarks/bench_cases.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench_cases
    .venv/bin/python benchmarks/bench_cases.py --cases 50000         # a quicker, partial run
    .venv/bin/python benchmarks/bench_cases.py --reuse               # keep the district and cases built before

Measured, each against a floor taken in the same run on the same data:
  1. intake: reports through jiceng.cases.case_services.case_report (validation, routing, number,
     case row, event, audit, one transaction each)  vs  raw INSERT of the same case, event and audit rows
  2. the case inbox page (django.test.Client as `community` and as `district`), page sizes 20 and 200,
     vs the page's count and page queries run raw; the query count per page size (must be constant)
  3. routing: geo.grid_for_point on the demo's grids  vs  a bare shapely STRtree query

The district is the demo's (jiceng.demo.build with a sample of residents, the 534 grids and all
buildings) with a year of cases walked through the state machine (jiceng.demo.cases).
It never touches var/: the default database is /tmp/jiceng_bench_cases/bench.sqlite3.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
BENCH_DIR = Path("/tmp/jiceng_bench_cases")
os.environ.setdefault("JICENG_VAR_DIR", str(BENCH_DIR))

import bench_foundation as common  # noqa: E402  (its helpers: setup, the figure line, the timer)

line, timed, RESULTS = common.line, common.timed, common.RESULTS


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    p.add_argument("--cases", type=int, default=300_000, help="cases in the year (default 300,000)")
    p.add_argument("--intake", type=int, default=2000, help="reports sent through the service")
    p.add_argument("--reuse", action="store_true", help="keep the district and cases already in the database")
    p.add_argument("--json", default="", help="also write the figures to this JSON file")
    return p.parse_args()


# --- 0. the district year -----------------------------------------------------------------------


def build(n_cases: int, reuse: bool) -> None:
    from django.core.management import call_command

    from jiceng.areas.models import Area
    from jiceng.cases.models import Case, CaseEvent
    from jiceng.demo.build import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Area.objects.filter(kind="district").exists() and Case.objects.exists():
        print(f"  (reusing the district: {Case.objects.count():,} cases, {CaseEvent.objects.count():,} events)")
        return
    t = time.perf_counter()
    build_demo(full=False, reset=True, cases=n_cases, log=lambda s: print("   " + s))
    print(f"  built the district and {Case.objects.count():,} cases with {CaseEvent.objects.count():,} events "
          f"in {time.perf_counter() - t:,.0f} s")


# --- 1. intake ------------------------------------------------------------------------------------


def bench_intake(n: int) -> None:
    from django.db import connection, transaction

    from jiceng.accounts.models import AuditEvent, User
    from jiceng.areas.models import Area
    from jiceng.cases import case_services as svc
    from jiceng.cases.models import Case, CaseEvent, CaseState, Category

    user = User.objects.get(username="district")
    rng = random.Random(11)
    # Hotline-like reports at buildings' points (routed through the grid polygons), with a phone
    # (encrypted, blind-indexed, masked by the service).
    spots = list(Area.objects.filter(kind="building", lat__isnull=False).values_list("lat", "lng")[:5000])
    cats = list(Category.objects.filter(depth=2, active=True))
    work = [(rng.choice(spots), rng.choice(cats), f"1391234{i % 10000:04d}") for i in range(n)]
    before_case = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    before_audit = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    t = time.perf_counter()
    for (lat, lng), cat, phone in work:
        svc.case_report(actor=user, channel="hotline_12345", category=cat, description="路灯不亮，晚上出行不便",
                        lat=lat + rng.uniform(-0.0005, 0.0005), lng=lng + rng.uniform(-0.0005, 0.0005),
                        reporter_phone=phone, source_ref="12345-bench")
    service_s = time.perf_counter() - t
    # What one report costs in statements (the service's own, without the commit).
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        (lat, lng), cat, phone = work[0]
        svc.case_report(actor=user, channel="hotline_12345", category=cat, description="路灯不亮，晚上出行不便",
                        lat=lat, lng=lng, reporter_phone=phone, source_ref="12345-bench")
    n += 1
    print(f"  one report runs {len(ctx.captured_queries)} SQL statements (the floor: 3 INSERTs)")
    new = Case.objects.filter(id__gt=before_case)
    triage = new.filter(state=CaseState.TRIAGE).count()
    print(f"  {n:,} reports through case_report ({n - triage:,} routed to a unit, {triage:,} to triage)")

    # Floor: the very rows the service wrote, inserted again with plain INSERT statements (one per
    # row, as the service does) in one transaction that is rolled back (audit rows cannot be deleted).
    qn = connection.ops.quote_name

    def rows_of(model, where: str, params) -> tuple[list[str], list[tuple]]:
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM {qn(model._meta.db_table)} WHERE {where} ORDER BY id", params)  # noqa: S608
            return [d[0] for d in cur.description], cur.fetchall()

    case_cols, case_rows = rows_of(Case, "id > %s", [before_case])
    ev_cols, ev_rows = rows_of(CaseEvent, "case_id > %s", [before_case])
    au_cols, au_rows = rows_of(AuditEvent, "id > %s", [before_audit])
    shift = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 10
    ev_shift = (CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 10
    au_shift = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 10
    ci, cn = case_cols.index("id"), case_cols.index("number")
    ei, ec = ev_cols.index("id"), ev_cols.index("case_id")
    ai = au_cols.index("id")

    def insert_sql(model, cols):
        return (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(cols))})")

    def moved(row, changes):
        row = list(row)
        for i, v in changes.items():
            row[i] = v
        return row

    case_new = [moved(r, {ci: r[ci] + shift, cn: "GX" + r[cn][2:]}) for r in case_rows]
    ev_new = [moved(r, {ei: r[ei] + ev_shift, ec: r[ec] + shift}) for r in ev_rows]
    au_new = [moved(r, {ai: r[ai] + au_shift}) for r in au_rows]
    sqls = insert_sql(Case, case_cols), insert_sql(CaseEvent, ev_cols), insert_sql(AuditEvent, au_cols)
    with transaction.atomic():
        t = time.perf_counter()
        with connection.cursor() as cur:
            for c, e, a in zip(case_new, ev_new, au_new, strict=False):
                cur.execute(sqls[0], c)
                cur.execute(sqls[1], e)
                cur.execute(sqls[2], a)
        floor_s = time.perf_counter() - t
        transaction.set_rollback(True)
    line(f"intake through case_report ({len(work):,} reports)", len(work) / service_s, "rep/s", n / floor_s,
         "raw INSERT of the same case+event+audit rows", lower_is_better=False)


# --- 2. the inbox page ----------------------------------------------------------------------------


def bench_inbox() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jiceng.accounts.models import User
    from jiceng.cases import case_selectors as sel

    def raw(sql: str, params) -> list:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    url = reverse("cases:inbox")
    for username in ("community", "district"):
        user = User.objects.get(username=username)
        total = sel.case_inbox(user).count()
        client = Client()
        client.force_login(user)
        counts = {}
        for label, extra in (("", {}), (" overdue", {"overdue": "1"})):
            for size in (20, 200):
                params = {"size": size, **extra}
                client.get(url, params)  # warm up: the first request of a session writes the session
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url, params)
                if not extra:
                    counts[size] = len(ctx.captured_queries)
                # Floor: the page's three statements (the count, the page of ids, the rows of those
                # ids with their joins) run raw.
                filters = sel.InboxFilters(overdue=bool(extra))
                qs = sel.case_inbox(user, filters)
                ids_sql, ids_params = qs.values_list("pk", flat=True)[:size].query.sql_with_params()
                c_sql, c_params = qs.order_by().values("id").query.sql_with_params()
                ids = [r[0] for r in raw(ids_sql, ids_params)]
                rows_sql, rows_params = sel.inbox_rows_query(ids).query.sql_with_params()

                def floor(ids_sql=ids_sql, ids_params=ids_params, c_sql=c_sql, c_params=c_params,
                          rows_sql=rows_sql, rows_params=rows_params):
                    return (raw(f"SELECT COUNT(*) FROM ({c_sql}) sub", c_params),  # noqa: S608
                            raw(ids_sql, ids_params), raw(rows_sql, rows_params))

                line(f"inbox {username}{label}, size {size} (HTTP {response.status_code}, "
                     f"{len(ctx.captured_queries)} q)",
                     timed(lambda params=params, client=client: client.get(url, params), 10) * 1000, "ms",
                     timed(floor, 10) * 1000, "count + ids + rows SQL run raw")
        same = "constant" if counts[20] == counts[200] else "NOT constant"
        print(f"  as {username} ({total:,} cases in scope): queries size 20 -> {counts[20]}, "
              f"size 200 -> {counts[200]} ({same})")
        RESULTS.append({"what": f"inbox queries {username}", "size_20": counts[20], "size_200": counts[200],
                        "in_scope": total})


# --- 3. routing -----------------------------------------------------------------------------------


def bench_routing() -> None:
    import shapely
    from shapely.geometry import Point, shape
    from shapely.strtree import STRtree

    from jiceng.areas import geo
    from jiceng.areas.models import Area

    grids = list(Area.objects.filter(kind="grid").order_by("code").values_list("id", "geometry"))
    geoms = [shape(g) for _, g in grids]
    district = shape(Area.objects.get(kind="district").geometry)
    rng = random.Random(7)
    minx, miny, maxx, maxy = district.bounds
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(5000)]
    print(f"  {len(grids)} grids; {len(points):,} random points in the district's box")
    shapely.prepare(geoms)
    tree = STRtree(geoms)

    def bare():
        for lat, lng in points:
            tree.query(Point(lng, lat), predicate="covered_by")

    bare_rate = len(points) / timed(bare, 3)
    geo.grid_for_point(26.08, 119.30)  # build the index once

    def ours():
        for lat, lng in points:
            geo.grid_for_point(lat, lng)

    line("geo.grid_for_point (returns the Area row)", len(points) / timed(ours, 3), "pts/s", bare_rate,
         "bare STRtree query", lower_is_better=False)

    def ours_id():
        for lat, lng in points:
            geo.grid_id_for_point(lat, lng)

    line("geo.grid_id_for_point", len(points) / timed(ours_id, 3), "pts/s", bare_rate, "bare STRtree query",
         lower_is_better=False)


def main() -> None:
    args = parse_args()
    common.fresh_sqlite(args.database_url, args.reuse)
    common.BENCH_DIR = BENCH_DIR
    common.setup_django(args.database_url)
    import sqlite3

    from django.db import connection

    vendor = connection.vendor
    version = connection.pg_version if vendor == "postgresql" else sqlite3.sqlite_version
    print(f"jiceng case benchmark — {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {vendor} {version}")
    print("0. the district year")
    build(args.cases, args.reuse)
    print("1. intake")
    bench_intake(args.intake)
    print("2. the inbox page")
    bench_inbox()
    print("3. routing")
    bench_routing()
    if args.json:
        Path(args.json).write_text(json.dumps({"vendor": vendor, "cpus": os.cpu_count(), "results": RESULTS},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
