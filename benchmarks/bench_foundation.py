"""Foundation benchmark: the full-scale demo district, each figure beside its floor.

    .venv/bin/python benchmarks/bench_foundation.py                     # SQLite file under /tmp
    .venv/bin/python benchmarks/bench_foundation.py --database-url postgres://postgres@127.0.0.1:5432/jiceng_bench
    .venv/bin/python benchmarks/bench_foundation.py --residents 50000   # a quicker, partial run

Measured, each against a floor taken in the same run on the same data:
  1. building the district with all 720,000 residents  vs  raw executemany INSERT of the same rows
  2. scoped people search by name and by phone (jiceng.people.selectors.people_search)  vs  its SQL run raw
  3. the people search page (django.test.Client as `community`), queries for page size 20 and 200,
     vs the page's count and page queries run raw
  4. grid_id_for_point / grid_for_point calls per second  vs  a bare shapely STRtree query

It never touches var/: the default database is /tmp/jiceng_bench/bench.sqlite3 (recreated each run).
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DIR = Path("/tmp/jiceng_bench")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    p.add_argument("--residents", type=int, default=0, help="sample size instead of the full 720,000 (0 = full)")
    p.add_argument("--reuse", action="store_true", help="keep the district already in the database")
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
    import logging
    import warnings

    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")


def fresh_sqlite(url: str, reuse: bool) -> None:
    if url.startswith("sqlite:///") and not reuse:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


RESULTS: list[dict] = []


def line(what: str, value: float, unit: str, floor: float, floor_what: str, lower_is_better: bool = True) -> None:
    ratio = value / floor if lower_is_better else floor / value
    RESULTS.append(
        {"what": what, "value": value, "unit": unit, "floor": floor, "floor_what": floor_what, "ratio": ratio}
    )
    print(f"  {what:<46} {value:>12,.3f} {unit:<8} floor {floor:>12,.3f}  ({floor_what})  ratio {ratio:5.2f}x")


def timed(fn, repeat: int, budget: float = 5.0) -> float:
    """Median seconds of fn() over up to `repeat` runs after one warm-up; slow calls stop after
    `budget` seconds (at least three runs)."""
    fn()
    samples: list[float] = []
    while len(samples) < repeat and (len(samples) < 3 or sum(samples) < budget):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


# --- 1. build -----------------------------------------------------------------------------------


def bench_build(full: bool, residents: int, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiceng.areas.models import Area
    from jiceng.demo.build import _wipe_order, build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Area.objects.filter(kind="district").exists():
        print("  (reusing the district in the database)")
        return
    t = time.perf_counter()
    report = build_demo(full=full, residents=residents, reset=True, log=lambda s: print("   " + s))
    build_s = time.perf_counter() - t
    c = report.counts
    print(f"  built {c['residents']:,} residents, {c['members']:,} members, {c['buildings']:,} buildings")

    # Floor: the same rows, read back, deleted and inserted again with raw executemany, in one
    # transaction, into the same tables with the same indexes and constraints.
    tables = [m for m in reversed(_wipe_order())]
    data = {}
    with connection.cursor() as cur:
        for m in tables:
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(m._meta.db_table)}")  # noqa: S608
            cols = [d[0] for d in cur.description]
            data[m] = (cols, cur.fetchall())
    rows_total = sum(len(r) for _, r in data.values())
    with transaction.atomic():
        with connection.cursor() as cur:
            for m in reversed(tables):
                cur.execute(f"DELETE FROM {connection.ops.quote_name(m._meta.db_table)}")  # noqa: S608
        t = time.perf_counter()
        with connection.cursor() as cur:
            for m in tables:
                cols, rows = data[m]
                qn = connection.ops.quote_name
                sql = (
                    f"INSERT INTO {qn(m._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(cols))})"
                )
                for i in range(0, len(rows), 5000):
                    cur.executemany(sql, rows[i : i + 5000])
        floor_s = time.perf_counter() - t
    line(f"build district ({c['residents']:,} residents)", build_s, "s", floor_s,
         f"raw executemany of the same {rows_total:,} rows")


# --- 2 and 3. search and list page ------------------------------------------------------------------


def bench_search() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jiceng.accounts.models import User
    from jiceng.people import personal
    from jiceng.people.selectors import people_search

    def raw(sql: str, params) -> list:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    for username in ("community", "district"):
        user = User.objects.get(username=username)
        sample = people_search(user).exclude(phone_encrypted="").order_by("id")
        n_scope = sample.count()
        person = sample[n_scope // 2]
        surname = person.name[0]
        phone = personal.decrypt(person.phone_encrypted)
        print(f"  as {username}: {n_scope:,} residents in scope")
        for label, kwargs in (
            (f"name contains {surname!r}", {"name": surname}),
            (f"name = {person.name!r}", {"name": person.name}),
            ("exact phone", {"phone": phone}),
        ):
            def orm(kwargs=kwargs, user=user):
                user.__dict__.pop("_jiceng_scope", None)  # scope computed per request in real use
                qs = people_search(user, **kwargs)
                return qs.count(), list(qs[:20])

            qs = people_search(user, **kwargs)
            count_sql = qs.order_by().values("id").query  # the count Django runs wraps this
            page_sql, page_params = qs[:20].query.sql_with_params()
            c_sql, c_params = count_sql.sql_with_params()

            def floor(page_sql=page_sql, page_params=page_params, c_sql=c_sql, c_params=c_params):
                return raw(f"SELECT COUNT(*) FROM ({c_sql}) sub", c_params), raw(page_sql, page_params)  # noqa: S608

            found = orm()[0]
            line(f"search {username}: {label} ({found:,} found)", timed(orm, 20) * 1000, "ms",
                 timed(floor, 20) * 1000, "count + page SQL run raw")

    # What the scope filter costs: `area_path LIKE 'prefix%'` (scope_q today) against the same
    # prefix as a range `area_path >= p AND area_path < p || '~'` (paths use 0-9A-Z, all below '~').
    # SQLite uses the area_path index only for the range (its LIKE optimization needs a NOCASE
    # column or case_sensitive_like); PostgreSQL uses its varchar_pattern_ops index for both.
    user = User.objects.get(username="community")
    prefix = user.grants.get().area.path
    surname = people_search(user).values_list("name", flat=True).first()[0]
    like_sql = (
        "SELECT COUNT(*) FROM people_person WHERE area_path LIKE %s AND name LIKE %s"
    )
    range_sql = (
        "SELECT COUNT(*) FROM people_person WHERE area_path >= %s AND area_path < %s AND name LIKE %s"
    )
    t_like = timed(lambda: raw(like_sql, [prefix + "%", f"%{surname}%"]), 5)
    t_range = timed(lambda: raw(range_sql, [prefix, prefix + "~", f"%{surname}%"]), 5)
    line("scope filter LIKE prefix (community, count)", t_like * 1000, "ms", t_range * 1000,
         "same prefix as a range")

    # The list page: the people search page as `community`, page size 20 and 200.
    user = User.objects.get(username="community")
    client = Client()
    client.force_login(user)
    url = reverse("people:search")
    surname = people_search(user).values_list("name", flat=True).first()[0]
    counts = {}
    for size in (20, 200):
        params = {"name": surname, "size": size}
        client.get(url, params)  # warm up: the first request of a session writes the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        counts[size] = len(ctx.captured_queries)
        status = response.status_code
        qs = people_search(user, name=surname)
        page_sql, page_params = qs[:size].query.sql_with_params()
        c_sql, c_params = qs.order_by().values("id").query.sql_with_params()

        def floor(page_sql=page_sql, page_params=page_params, c_sql=c_sql, c_params=c_params):
            return raw(f"SELECT COUNT(*) FROM ({c_sql}) sub", c_params), raw(page_sql, page_params)  # noqa: S608

        line(f"people page, size {size} (HTTP {status}, {counts[size]} queries)",
             timed(lambda params=params: client.get(url, params), 10) * 1000, "ms",
             timed(floor, 10) * 1000, "count + page SQL run raw")
    same = "constant" if counts[20] == counts[200] else "NOT constant"
    print(f"  queries per page: size 20 -> {counts[20]}, size 200 -> {counts[200]} ({same})")
    RESULTS.append({"what": "people page queries", "size_20": counts[20], "size_200": counts[200]})


# --- 4. grid routing ------------------------------------------------------------------------------


def bench_grid() -> None:
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
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(20_000)]
    inside = sum(1 for lat, lng in points if district.contains(Point(lng, lat)))
    print(f"  {len(grids)} grids; {len(points):,} random points in the district's box, {inside:,} inside it")

    shapely.prepare(geoms)
    tree = STRtree(geoms)

    def bare():
        for lat, lng in points:
            tree.query(Point(lng, lat), predicate="covered_by")

    t_bare = timed(bare, 3)
    bare_rate = len(points) / t_bare

    if not hasattr(geo, "grid_id_for_point"):
        print("  jiceng.areas.geo.grid_id_for_point is not there yet; skipped")
        return
    geo.grid_id_for_point(26.08, 119.30)  # build the index once

    def ours():
        for lat, lng in points:
            geo.grid_id_for_point(lat, lng)

    rate = len(points) / timed(ours, 3)
    line("grid_id_for_point (WGS-84)", rate, "calls/s", bare_rate, "bare STRtree query", lower_is_better=False)

    gcj_points = [geo.wgs84_to_gcj02(lat, lng) for lat, lng in points]

    def ours_gcj():
        for lat, lng in gcj_points:
            geo.grid_id_for_point(lat, lng, crs="gcj02")

    rate = len(points) / timed(ours_gcj, 3)
    line("grid_id_for_point (GCJ-02 input)", rate, "calls/s", bare_rate, "bare STRtree query", lower_is_better=False)

    few = points[:2000]

    def ours_obj():
        for lat, lng in few:
            geo.grid_for_point(lat, lng)

    rate = len(few) / timed(ours_obj, 3)
    line("grid_for_point (returns the Area row)", rate, "calls/s", bare_rate, "bare STRtree query",
         lower_is_better=False)
    # The answers agree with the bare tree (lowest code wins on shared edges).
    ids = [pk for pk, _ in grids]
    for lat, lng in points[:2000]:
        hits = tree.query(Point(lng, lat), predicate="covered_by")
        expected = ids[int(min(hits))] if len(hits) else None
        assert geo.grid_id_for_point(lat, lng) == expected


def main() -> None:
    args = parse_args()
    fresh_sqlite(args.database_url, args.reuse)
    setup_django(args.database_url)
    from django.db import connection

    vendor = connection.vendor
    version = connection.pg_version if vendor == "postgresql" else None
    import sqlite3

    print(
        f"jiceng foundation benchmark — {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {vendor} {version or sqlite3.sqlite_version}"
    )
    full = args.residents == 0
    print("1. build")
    bench_build(full, args.residents, args.reuse)
    print("2-3. people search and the list page")
    bench_search()
    print("4. grid routing")
    bench_grid()
    if args.json:
        Path(args.json).write_text(json.dumps({"vendor": vendor, "cpus": os.cpu_count(), "results": RESULTS},
                                              ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
