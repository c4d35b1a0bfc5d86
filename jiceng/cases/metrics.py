"""Feedback metrics of cases: the three rates of 接诉即办 (response, resolution, satisfaction) plus the
on-time closure and rework rates, by month, area, unit and category; rankings; monthly topics.

Every figure is derived at query time from what the platform stores (the case row, its append-only
CaseEvent log and its CaseFeedback), never from a counter a job keeps. Formulas (docs/METRICS.md):

  response rate 响应率     = cases first accepted within RESPONSE_LIMIT_HOURS of their first dispatch
                              / dispatched cases that were accepted or whose response window has passed
  resolution rate 解决率   = cases whose latest rating says "solved" / cases whose latest rating answers it
  satisfaction rate 满意率 = (satisfied x 1 + basically satisfied x 1) / cases with a latest rating
  on-time closure 按期结案率 = closed cases closed by their handle deadline / closed cases
                              (case_resume moves handle_due by the time spent suspended, so suspended time
                              does not count against the unit; a category with no handle limit is on time)
  rework rate 返工率       = handled cases with a rework or reopen event / cases with a handle event

A case counts in the period (Asia/Shanghai days) it was reported in. Cases merged into another case
(merged_into set) are left out: the case they joined counts once. "Latest rating" is the newest
CaseFeedback of the case that reached the resident and carries a rating (ordered by time, then id).

The heavy work is one statement: the scoped cases, their events folded per case and their latest
rating, each case's flags computed once (per_sql), then summed by month, by each level of the area chain,
by category and by unit (UNION ALL). Settled months may instead come from the monthly rollup — the same
flags summed once per month and place, rebuilt from the facts — but only when its build is provably
fresh (metrics_rollup.py); otherwise they are computed live, so no figure depends on a job having run.
The page runs a fixed number of queries however many areas or months there are.
"""

from __future__ import annotations

import calendar as pycalendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.units.models import Unit

from .calendar import LOCAL
from .case_models import Case, CaseState
from .case_selectors import case_scope_q
from .models import Category

# Natural hours a unit has, from the first dispatch, to accept (respond to) a case: urgent demands
# within 2 hours, ordinary ones within 24 (the Beijing 接诉即办 practice of contacting the resident).
RESPONSE_LIMIT_HOURS = {"normal": 24, "urgent": 2, "emergency": 2}
# How much each rating counts towards the satisfaction rate (Beijing counts 基本满意 as satisfied).
SATISFACTION_WEIGHTS = {"satisfied": 1.0, "basically": 1.0, "unsatisfied": 0.0}
# Monthly topics: how many classes per month, over how many months recurrence is judged, and in how
# many of those months a class must be in the top list to count as recurring.
TOPIC_TOP_N = 5
TOPIC_WINDOW_MONTHS = 6
TOPIC_RECURRING_MONTHS = 3

RATE_NAMES = ("response", "resolution", "satisfaction", "on_time", "rework")
RATE_LABELS = {
    "response": _("Response rate"),
    "resolution": _("Resolution rate"),
    "satisfaction": _("Satisfaction rate"),
    "on_time": _("On-time closure rate"),
    "rework": _("Rework rate"),
}
RATE_FORMULAS = {
    "response": _("Cases first accepted within the response limit of their first dispatch (2 hours urgent, "
                  "24 hours normal) ÷ dispatched cases accepted or past that limit"),
    "resolution": _("Cases whose latest rating says the problem is solved ÷ cases whose latest rating answers it"),
    "satisfaction": _("(Satisfied + basically satisfied) ÷ cases with a rating; the latest rating of a case counts"),
    "on_time": _("Closed cases closed by their handle deadline (suspended time excluded) ÷ closed cases"),
    "rework": _("Handled cases sent back for rework or reopened ÷ handled cases"),
}
# A lower rework rate is better; every other rate is better higher.
LOWER_IS_BETTER = frozenset({"rework"})


@dataclass
class Counts:
    """The numerators and denominators behind the rates; counts add, so any grouping sums."""

    cases: int = 0
    response_due: int = 0
    responded: int = 0
    answered: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    basically: int = 0
    closed: int = 0
    on_time: int = 0
    handled: int = 0
    reworked: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _ratio(num: float, den: int) -> float | None:
        return round(num / den, 4) if den else None

    @property
    def rates(self) -> dict[str, float | None]:
        w = SATISFACTION_WEIGHTS
        weighted = self.satisfied * w["satisfied"] + self.basically * w["basically"]
        return {
            "response": self._ratio(self.responded, self.response_due),
            "resolution": self._ratio(self.resolved, self.answered),
            "satisfaction": self._ratio(weighted, self.rated),
            "on_time": self._ratio(self.on_time, self.closed),
            "rework": self._ratio(self.reworked, self.handled),
        }

    def as_dict(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "rates": self.rates}


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class Period:
    """A reporting period as Asia/Shanghai calendar days, both ends included."""

    start: date
    end: date
    kind: str = "custom"

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time.min, LOCAL),
                datetime.combine(self.end + timedelta(days=1), time.min, LOCAL))

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, pycalendar.monthrange(year, month)[1])


def period_of(kind: str, value: str = "", start: date | None = None, end: date | None = None,
              today: date | None = None) -> Period:
    """The period a user chose: a month (2026-11), a quarter (2026Q4), a year (2026), or a custom range.
    Without a choice, the twelve months up to today. Raises ValueError on a malformed value."""
    today = today or timezone.localtime(timezone.now(), LOCAL).date()
    if kind == "month":
        y, m = (int(x) for x in value.split("-"))
        return Period(date(y, m, 1), _month_end(y, m), "month")
    if kind == "quarter":
        y, q = value.upper().split("Q")
        first = (int(q) - 1) * 3 + 1
        if not 1 <= int(q) <= 4:
            raise ValueError(value)
        return Period(date(int(y), first, 1), _month_end(int(y), first + 2), "quarter")
    if kind == "year":
        return Period(date(int(value), 1, 1), date(int(value), 12, 31), "year")
    if kind == "custom" and start and end:
        if end < start:
            raise ValueError("end before start")
        return Period(start, end, "custom")
    first = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
    return Period(first, today, "recent")


@dataclass(frozen=True)
class MetricFilters:
    period: Period
    area: Area | None = None  # drill-down: the figures of this area's subtree, its children listed
    unit_id: int | None = None
    category: Category | None = None  # a major class takes in its minor classes


def can_view_metrics(user) -> bool:
    return scope_for(user).allows(roles.VIEW_ORG)


def metrics_area(user, area_id: int | None) -> Area | None:
    """The drill-down area, inside the user's scope, or 404."""
    if area_id is None:
        return None
    area = Area.objects.filter(pk=area_id).exclude(kind__in=["compound", "building"]).first()
    if area is None or not scope_for(user).covers_path(area.path):
        raise Http404
    return area


_CHAIN_FIELD = {"district": "district_id", "subdistrict": "subdistrict_id", "community": "community_id",
                "grid": "grid_id"}
_CHILD_FIELD = {"district": "subdistrict_id", "subdistrict": "community_id", "community": "grid_id",
                "grid": "grid_id"}


def _base_cases(user, f: MetricFilters, ranges=None):
    """The cases the figures are about: in scope, not merged, reported in the period (or only in the
    half-open `ranges` of it that are computed live), filtered."""
    lo, hi = f.period.bounds
    if ranges is None:
        ranges = ((lo, hi),)
    # The ranges alone bound created_at (they lie inside the period): with the period's bounds beside
    # them SQLite walked the created_at index over the whole period (2.1 million cases) to find none.
    # No range left (every month from the rollup): an empty range still compiles to SQL, and reads nothing.
    when = reduce(or_, (Q(created_at__gte=a, created_at__lt=b) for a, b in ranges)) if ranges else Q(
        created_at__gte=lo, created_at__lt=lo)
    qs = Case.objects.filter(when, case_scope_q(user), merged_into__isnull=True)
    if f.area is not None:
        qs = qs.filter(**{_CHAIN_FIELD[f.area.kind]: f.area.pk})
    if f.unit_id:
        qs = qs.filter(unit_id=f.unit_id)
    if f.category is not None:
        qs = qs.filter(category__path__startswith=f.category.path)
    return qs


def _sql_month(col: str) -> str:
    # Asia/Shanghai has kept UTC+8 all year since 1991, so a fixed shift gives its calendar month.
    if connection.vendor == "postgresql":
        return f"to_char({col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"substr(datetime({col}, '+8 hours'), 1, 7)"


def _sql_seconds(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    # julianday() is a float of days: round to the millisecond so an acceptance exactly at the limit
    # (24 h to the second) is not read as 86400.00001 s and counted late (PostgreSQL's interval is exact).
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


# The groupings every dashboard table is read from (one UNION ALL branch each, one statement in all).
CUBE_DIMS = ("month", "subdistrict_id", "community_id", "grid_id", "category_id", "unit_id")
# What a case's flags are keyed by in `per` and in the monthly rollup: the month, the whole area chain
# (the district too, so a district's scope is expressible on rollup rows), category and unit.
ROLLUP_KEYS = ("month", "district_id", *CUBE_DIMS[1:])
# The longest response window: a month's figures can still change by time alone until its last day
# plus this (a dispatch never accepted becomes "response due" when its window passes).
LONGEST_RESPONSE = timedelta(hours=max(RESPONSE_LIMIT_HOURS.values()))
# The columns base_sql must select (the scoped case query, live; every case of a month, for the rollup).
BASE_COLUMNS = ("id", "created_at", "urgency", "state", "closed_at", "handle_due", *ROLLUP_KEYS[1:])


def _sql_epoch(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {col})"
    return f"((julianday({col}) - 2440587.5) * 86400.0)"


def per_sql(base_sql: str) -> str:
    """The one definition of the per-case flags: `WITH e, f, per` around the case query `base_sql`
    (selecting BASE_COLUMNS), one `%s` parameter (now, after base_sql's own). `per` has ROLLUP_KEYS,
    `cases` (1) and the other Counts fields, and `due_next`: the epoch second at which a dispatched,
    not yet accepted case becomes "response due" (null if it is due already or not waiting).
    Used by the live statement (cube_sql) and by the rollup's build, so there is one set of formulas."""
    urgent = ", ".join(f"'{u}'" for u, h in RESPONSE_LIMIT_HOURS.items() if h != RESPONSE_LIMIT_HOURS["normal"])
    normal_s = RESPONSE_LIMIT_HOURS["normal"] * 3600
    urgent_s = min(RESPONSE_LIMIT_HOURS.values()) * 3600
    limit = f"(CASE WHEN x.urgency IN ({urgent}) THEN {urgent_s} ELSE {normal_s} END)"
    waited = _sql_seconds("%s", "x.first_dispatch")
    delay = _sql_seconds("x.first_accept", "x.first_dispatch")
    closed = f"x.state = '{CaseState.CLOSED}'"
    cols = ", ".join(f"c.{col}" for col in BASE_COLUMNS)
    latest = ("(SELECT f.{col} FROM cases_casefeedback f WHERE f.case_id = e.id AND f.reached AND f.rating <> '' "
              "ORDER BY f.at DESC, f.id DESC LIMIT 1)")
    return f"""
WITH e AS MATERIALIZED (
  SELECT {cols},
         MIN(CASE WHEN ev.transition = 'dispatch' THEN ev.at END) AS first_dispatch,
         MIN(CASE WHEN ev.transition = 'accept' THEN ev.at END) AS first_accept,
         MAX(CASE WHEN ev.transition = 'handle' THEN 1 ELSE 0 END) AS handled,
         MAX(CASE WHEN ev.transition IN ('rework', 'reopen') THEN 1 ELSE 0 END) AS reworked
  FROM ({base_sql}) c LEFT JOIN cases_caseevent ev ON ev.case_id = c.id
  GROUP BY {cols}
),
f AS MATERIALIZED (
  SELECT e.*, {latest.format(col="rating")} AS rating, {latest.format(col="resolved")} AS resolved FROM e
),
w AS MATERIALIZED (
  SELECT x.*, {limit} AS lim, CASE WHEN x.first_dispatch IS NOT NULL AND x.first_accept IS NULL
                                   THEN {waited} END AS waited FROM f x
),
per AS MATERIALIZED (
  SELECT {_sql_month('x.created_at')} AS month, {", ".join(f"x.{d}" for d in ROLLUP_KEYS[1:])}, 1 AS cases,
    CASE WHEN x.first_dispatch IS NOT NULL AND (x.first_accept IS NOT NULL OR x.waited > x.lim)
         THEN 1 ELSE 0 END AS response_due,
    CASE WHEN x.first_accept IS NOT NULL AND {delay} <= x.lim THEN 1 ELSE 0 END AS responded,
    CASE WHEN x.resolved IS NOT NULL THEN 1 ELSE 0 END AS answered,
    CASE WHEN x.resolved THEN 1 ELSE 0 END AS resolved,
    CASE WHEN x.rating IS NOT NULL THEN 1 ELSE 0 END AS rated,
    CASE WHEN x.rating = 'satisfied' THEN 1 ELSE 0 END AS satisfied,
    CASE WHEN x.rating = 'basically' THEN 1 ELSE 0 END AS basically,
    CASE WHEN {closed} THEN 1 ELSE 0 END AS closed,
    CASE WHEN {closed} AND (x.handle_due IS NULL OR x.closed_at <= x.handle_due) THEN 1 ELSE 0 END AS on_time,
    x.handled,
    CASE WHEN x.handled = 1 AND x.reworked = 1 THEN 1 ELSE 0 END AS reworked,
    CASE WHEN x.waited <= x.lim THEN {_sql_epoch('x.first_dispatch')} + x.lim END AS due_next
  FROM w x
)"""  # noqa: S608 - only constants and the compiled ORM query are interpolated; values are parameters


def cube_sql(base_sql: str, now_param, rollup_sql: str = "", rollup_params=()) -> tuple[str, list]:
    """The one statement behind every figure, around the scoped case query `base_sql` (which selects
    BASE_COLUMNS): each case's flags (`per_sql`: its events folded through the (case, seq) index, its
    latest rating through the (case, -at) index, each once), plus, if given, the rollup rows selected by
    `rollup_sql` (ROLLUP_KEYS then the Counts fields), then summed by each of CUBE_DIMS.
    Rows: (dimension, month or null, id or null, *Counts fields). Parameters: base_sql's, then these."""
    counted = ", ".join((*ROLLUP_KEYS, *COUNT_FIELDS))
    # Without rollup rows the branches read `per` itself (no second copy of every case's flags).
    table = "src" if rollup_sql else "per"
    with_src = (f",\nsrc AS MATERIALIZED (SELECT {counted} FROM per UNION ALL {rollup_sql})"  # noqa: S608
                if rollup_sql else "")
    sql = f"{per_sql(base_sql)}{with_src}{cube_tail(table)}\n"
    return sql, [now_param, *rollup_params]


_PLACE_DIMS = ("month", "subdistrict_id", "community_id", "grid_id")
_KIND_DIMS = ("category_id", "unit_id")


def cube_tail(table: str) -> str:
    """The end of a WITH list over `table` (a CTE with ROLLUP_KEYS and the Counts fields): SUM the
    Counts fields by each of CUBE_DIMS, one UNION ALL branch each. The big table is grouped twice, not
    six times: once by place and month, once by category and unit; each dimension's branch then sums
    those few thousand groups (counts add)."""
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNT_FIELDS)
    resum = ", ".join(f"SUM({name})" for name in COUNT_FIELDS)
    place, kind = ", ".join(_PLACE_DIMS), ", ".join(_KIND_DIMS)
    branches = []
    for dim in CUBE_DIMS:
        key = ("month AS label, CAST(NULL AS integer) AS key" if dim == "month"
               else f"CAST(NULL AS varchar(7)), {dim}")
        grouped = "by_place" if dim in _PLACE_DIMS else "by_kind"
        branches.append(f"SELECT '{dim}' AS dim, {key}, {resum} FROM {grouped} GROUP BY {dim}")  # noqa: S608
    union = "\nUNION ALL ".join(branches)
    return (f",\nby_place AS MATERIALIZED (SELECT {place}, {sums} FROM {table} GROUP BY {place}),\n"  # noqa: S608
            f"by_kind AS MATERIALIZED (SELECT {kind}, {sums} FROM {table} GROUP BY {kind})\n{union}")


@dataclass
class Cube:
    """The counts by each of CUBE_DIMS: groups[dim][key] -> Counts."""

    groups: dict[str, dict] = field(default_factory=lambda: {d: {} for d in CUBE_DIMS})

    def total(self) -> Counts:
        total = Counts()
        for counts in self.groups["month"].values():  # every case has exactly one month
            total.add(counts)
        return total


def metrics_cube(user, f: MetricFilters, *, use_rollup: bool = True) -> Cube:
    """The scoped, filtered cases' numerators and denominators by each of CUBE_DIMS. Two queries: which
    whole months of the period the monthly rollup answers (provably fresh builds, metrics_rollup), then
    one statement summing those months' rollup rows and every other case's flags computed live.
    `use_rollup=False` computes everything live (one query)."""
    from . import metrics_rollup

    if not can_view_metrics(user):
        raise Http404
    ranges, rollup_sql, rollup_params = None, "", []
    if use_rollup:
        plan, scope = metrics_rollup.rollup_plan(user, f)
        if plan.rollup_months:
            ranges = plan.live_ranges
            rollup_sql, rollup_params = metrics_rollup.rollup_rows_sql(f, plan.rollup_months, scope)
    base = _base_cases(user, f, ranges).order_by().values(*BASE_COLUMNS)
    base_sql, base_params = base.query.sql_with_params()
    sql, extra = cube_sql(base_sql, connection.ops.adapt_datetimefield_value(timezone.now()),
                          rollup_sql, rollup_params)
    # The case query comes first in the text, so its parameters come first, then `now`, then the rollup's.
    with connection.cursor() as cur:
        cur.execute(sql, [*base_params, *extra])
        rows = cur.fetchall()
    cube = Cube()
    for dim, label, key, *values in rows:
        cube.groups[dim][label if dim == "month" else key] = Counts(*(int(v or 0) for v in values))
    return cube


# --- the dashboard ------------------------------------------------------------------------------------


@dataclass
class MetricRow:
    key: int | str | None
    label: str
    counts: Counts
    code: str = ""

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "code": self.code, **self.counts.as_dict()}


@dataclass
class Dashboard:
    filters: MetricFilters
    total: Counts
    by_month: list[MetricRow]
    by_area: list[MetricRow]  # the drill-down area's children (subdistricts of the district, …)
    area_level: str
    by_grid: list[MetricRow]
    by_category: list[MetricRow]  # major classes
    by_unit: list[MetricRow]

    def as_dict(self) -> dict:
        return {
            "period": {"start": self.filters.period.start.isoformat(), "end": self.filters.period.end.isoformat(),
                       "label": self.filters.period.label},
            "area": self.filters.area.pk if self.filters.area else None,
            "area_level": self.area_level,
            "total": self.total.as_dict(),
            **{name: [r.as_dict() for r in getattr(self, name)]
               for name in ("by_month", "by_area", "by_grid", "by_category", "by_unit")},
        }


def _months(period: Period) -> list[str]:
    out, y, m = [], period.start.year, period.start.month
    while (y, m) <= (period.end.year, period.end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _child_level(area: Area | None, user) -> str:
    if area is not None:
        return {"district": "subdistrict", "subdistrict": "community", "community": "grid"}.get(area.kind, "grid")
    # Without a chosen area, list the level below the user's own: a community worker sees grids.
    paths = scope_for(user).paths
    depth = min((len(p) // Area.steplen for p in paths), default=1)
    return ("subdistrict", "community", "grid", "grid")[min(depth, 4) - 1]


def metrics_dashboard(user, f: MetricFilters) -> Dashboard:
    """Every table of the dashboard: five queries (the months the rollup answers, the cube, then the
    names of its areas, of its categories and of its units), whatever the number of areas or months."""
    cube = metrics_cube(user, f)
    level = _child_level(f.area, user)
    level_field = {"subdistrict": "subdistrict_id", "community": "community_id", "grid": "grid_id"}[level]
    by_level = cube.groups[level_field]
    by_grid = cube.groups["grid_id"]
    by_unit = cube.groups["unit_id"]
    by_leaf = cube.groups["category_id"]
    by_month = cube.groups["month"]

    area_ids = {k for k in (*by_level, *by_grid) if k is not None}
    areas = {a["id"]: a for a in Area.objects.filter(pk__in=area_ids).values("id", "name", "code")}
    # One query for the major classes and the paths of the leaves counted (the rollup's freshness
    # check is the query this saves: the dashboard's count stays what it was).
    read = list(Category.objects.filter(Q(depth=1) | Q(pk__in=[k for k in by_leaf if k]))
                .values("id", "code", "name", "path", "depth"))
    cats = {c["id"]: c for c in read if c["depth"] == 1}
    leaf_paths = {c["id"]: c["path"] for c in read}
    major_by_path = {c["path"]: c["id"] for c in cats.values()}
    by_major: dict[int, Counts] = defaultdict(Counts)
    for leaf, counts in by_leaf.items():
        by_major[major_by_path.get(leaf_paths.get(leaf, "")[: Category.steplen], leaf)].add(counts)

    units = dict(Unit.objects.filter(pk__in=[k for k in by_unit if k]).values_list("id", "name"))

    def area_rows(groups: dict) -> list[MetricRow]:
        rows = [MetricRow(k, areas[k]["name"] if k in areas else str(_("(not placed)")), v,
                          areas[k]["code"] if k in areas else "") for k, v in groups.items()]
        return sorted(rows, key=lambda r: (r.code == "", r.code))

    months = [MetricRow(m, m, by_month.get(m, Counts())) for m in _months(f.period)]
    return Dashboard(
        filters=f,
        total=cube.total(),
        by_month=months,
        by_area=area_rows(by_level),
        area_level=level,
        by_grid=area_rows({k: v for k, v in by_grid.items() if k is not None}),
        by_category=sorted((MetricRow(k, cats[k]["name"] if k in cats else "?", v, cats[k]["code"] if k in cats else "")
                            for k, v in by_major.items()), key=lambda r: r.code),
        by_unit=sorted((MetricRow(k, units.get(k, str(_("Grid (self-handled)"))), v) for k, v in by_unit.items()),
                       key=lambda r: r.label),
    )


def metrics_ranking(rows: Iterable[MetricRow], rate: str, min_cases: int = 1) -> list[tuple[int, MetricRow]]:
    """Rows ranked by one rate, best first (a rework rate ranks lowest first); rows without the rate
    come last, unranked. Ties share a rank."""
    if rate not in RATE_NAMES:
        raise ValueError(rate)
    sign = 1 if rate in LOWER_IS_BETTER else -1
    valued = [r for r in rows if r.counts.rates[rate] is not None and r.counts.cases >= min_cases]
    valued.sort(key=lambda r: (sign * r.counts.rates[rate], -r.counts.cases, r.label))
    ranked, last, rank = [], None, 0
    for i, r in enumerate(valued, start=1):
        if r.counts.rates[rate] != last:
            rank, last = i, r.counts.rates[rate]
        ranked.append((rank, r))
    return ranked


# --- monthly topics (每月一题) ---------------------------------------------------------------------------


@dataclass
class Topic:
    rank: int
    category_id: int
    code: str
    name: str
    count: int
    months_in_top: int  # in how many of the window's months the class was in the top list
    recurring: bool
    cases: list[Case]


@dataclass
class MonthlyTopics:
    month: str
    area: Area | None
    window: list[str]
    topics: list[Topic]


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def metrics_topics(user, *, month: str, area: Area | None = None, top_n: int = TOPIC_TOP_N,
                   cases_per_topic: int = 20) -> MonthlyTopics:
    """每月一题: the area's most frequent problem classes (leaf categories) in `month`, each with the
    number of months of the window ending with `month` in which it was also in the top list, and its
    cases. Three queries: counts by (month, category), the categories, the cases of the top classes."""
    if not can_view_metrics(user):
        raise Http404
    y, m = (int(x) for x in month.split("-"))
    first = _shift_month(y, m, -(TOPIC_WINDOW_MONTHS - 1))
    window = [f"{a:04d}-{b:02d}" for a, b in (_shift_month(*first, i) for i in range(TOPIC_WINDOW_MONTHS))]
    period = Period(date(*first, 1), _month_end(y, m), "custom")
    f = MetricFilters(period=period, area=area)
    base = _base_cases(user, f).order_by().values("id", "created_at", "category_id")
    base_sql, params = base.query.sql_with_params()
    sql = (f"SELECT {_sql_month('c.created_at')} AS month, c.category_id, COUNT(*) FROM ({base_sql}) c "  # noqa: S608
           "GROUP BY 1, c.category_id")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        counts = cur.fetchall()
    per_month: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mon, cat, n in counts:
        per_month[mon].append((n, cat))
    top_of: dict[str, list[int]] = {}
    for mon, pairs in per_month.items():
        pairs.sort(key=lambda p: (-p[0], p[1]))
        top_of[mon] = [cat for _n, cat in pairs[:top_n]]
    this = window[-1]
    current = sorted(per_month.get(this, []), key=lambda p: (-p[0], p[1]))[:top_n]
    cats = {c.pk: c for c in Category.objects.filter(pk__in=[c for _n, c in current])}
    month_filters = MetricFilters(period=Period(date(y, m, 1), _month_end(y, m)), area=area)
    listed: dict[int, list[Case]] = {}
    for _n, cat in current:  # at most top_n queries, however many cases or areas
        listed[cat] = list(_base_cases(user, month_filters).filter(category_id=cat)
                           .select_related("community", "grid", "unit").order_by("-created_at")[:cases_per_topic])
    topics = []
    for rank, (n, cat) in enumerate(current, start=1):
        in_top = sum(1 for mon in window if cat in top_of.get(mon, []))
        c = cats.get(cat)
        topics.append(Topic(rank, cat, c.code if c else "", c.name if c else "?", n, in_top,
                            in_top >= TOPIC_RECURRING_MONTHS, listed.get(cat, [])))
    return MonthlyTopics(month=this, area=area, window=window, topics=topics)
