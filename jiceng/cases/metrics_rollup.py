"""The monthly rollup of the feedback metrics (docs/METRICS.md, "The monthly rollup").

A derived table, never a source of truth (DESIGN rule 5): `rollup_build` rewrites one month from the
facts with the very `per` statement the live dashboard runs (metrics.per_sql), grouped once more by
month, area chain, category and unit; `rollup_fresh` proves, in one query for all months, that a
month's rows still equal what the facts give now. `metrics.metrics_cube` reads a month from here only
then, and computes every other month live, so the figures never depend on the command having run.

Why a month's figures change after its end, and what catches each:
- a new event, rating or case of one of its cases (a late rating, a reopen, a merge, a dispatch of an
  old case, a backdated import): every change to a column the flags read (state, closed_at,
  handle_due, unit, chain, merged_into) comes with a CaseEvent (case_services, merge_services), and
  ratings are append-only CaseFeedback rows, so anything past the build's id marks makes it stale;
- time alone: a dispatched case nobody accepted becomes "response due" when its window passes.
  A build is only trusted once made after the month's end plus the longest window, and a case
  dispatched late and still waiting at build time sets `settles_at`, after which the build is stale.
Category and area names, the category tree and the user's scope are read from the live tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area

from . import metrics
from .calendar import LOCAL
from .case_models import Case, CaseEvent
from .feedback_models import CaseFeedback
from .rollup_models import MetricsRollup, MetricsRollupBuild

# Rows written in the last MARK_MARGIN before a build are treated as written after it: a transaction
# that took its id before the build read the facts but committed after could otherwise hide below
# the mark. The writes of case services take milliseconds; the margin leaves room for slow ones.
MARK_MARGIN = timedelta(minutes=5)
_AREA_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER})
_CHAIN = ("district_id", "subdistrict_id", "community_id", "grid_id")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, Asia/Shanghai."""
    y, m = (int(x) for x in month.split("-"))
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return datetime.combine(date(y, m, 1), time.min, LOCAL), datetime.combine(nxt, time.min, LOCAL)


def month_settled(month: str, now: datetime) -> bool:
    """Whether time alone can no longer change the month's figures (its end plus the longest window)."""
    return now >= month_bounds(month)[1] + metrics.LONGEST_RESPONSE


def _mark(model, at_field: str, cutoff: datetime) -> int:
    # The newest row older than the cutoff: read backwards along the primary key, so only the rows
    # written since the cutoff are passed over.
    return (model.objects.filter(**{f"{at_field}__lt": cutoff}).order_by("-pk").values_list("pk", flat=True)
            .first() or 0)


def _build_base_sql() -> str:
    cols = ", ".join(metrics.BASE_COLUMNS)
    return (f"SELECT {cols} FROM cases_case WHERE merged_into_id IS NULL "  # noqa: S608 - constants only
            "AND created_at >= %s AND created_at < %s")


def _insert_sql() -> str:
    keys = ", ".join(metrics.ROLLUP_KEYS)
    counts = ", ".join(metrics.COUNT_FIELDS)
    sums = ", ".join(f"SUM({name})" for name in metrics.COUNT_FIELDS)
    return (f"{metrics.per_sql(_build_base_sql())}\n"  # noqa: S608 - constants only; values are parameters
            f"INSERT INTO cases_metricsrollup ({keys}, {counts}, due_next)\n"
            f"SELECT {keys}, {sums}, MIN(due_next) FROM per GROUP BY {keys}")


@transaction.atomic
def rollup_build(*, month: str, now: datetime | None = None) -> MetricsRollupBuild:
    """Rewrite `month` (YYYY-MM) of the rollup from the facts: delete its rows, insert its GROUP BY,
    record the marks; one transaction, so a reader sees the old month or the new one, never half."""
    now = now or timezone.now()
    lo, hi = month_bounds(month)
    cutoff = now - MARK_MARGIN
    marks = {"case_mark": _mark(Case, "created_at", cutoff), "event_mark": _mark(CaseEvent, "at", cutoff),
             "feedback_mark": _mark(CaseFeedback, "at", cutoff)}
    adapt = connection.ops.adapt_datetimefield_value
    MetricsRollup.objects.filter(month=month).delete()
    with connection.cursor() as cur:
        cur.execute(_insert_sql(), [adapt(lo), adapt(hi), adapt(now)])
        cur.execute("SELECT COUNT(*), MIN(due_next) FROM cases_metricsrollup WHERE month = %s", [month])
        rows, due_next = cur.fetchone()
    settles = datetime.fromtimestamp(float(due_next), UTC) if due_next is not None else None
    build, _created = MetricsRollupBuild.objects.update_or_create(
        month=month, defaults={"starts": lo, "ends": hi, "built_at": now, "settles_at": settles, "rows": rows,
                               **marks})
    return build


# How many rows written since the oldest build's marks the freshness check reads at most (per table);
# past that it stops looking and treats every month as stale (computed live) until the command runs.
LATE_ROWS_CAP = 200_000


def rollup_fresh(months: list[str], now: datetime | None = None) -> set[str]:
    """The months whose rollup rows equal what the facts give now; one query for all of them.
    Fresh: built after the month's end plus the longest response window, no waiting dispatch turned
    due since (settles_at), and no case, event or rating past the build's marks belongs to a case
    reported in the month.

    The rows past the marks are read once, newest first along each primary key from the lowest mark
    (a bounded index range on both engines, whatever the table's size), and grouped by the month of
    their case; each build is then compared with its month's newest late ids. A correlated EXISTS per
    month let the planners walk every case of the month and their events instead (3.5 s on SQLite
    at 2.1 million cases)."""
    if not months:
        return set()
    now = now or timezone.now()
    month = metrics._sql_month("c.created_at")
    marks = ", ".join(["%s"] * len(months))
    cap = int(LATE_ROWS_CAP)

    def late(table: str, mark: str, case_col: str) -> str:
        return (f"SELECT id, {case_col} AS case_id FROM {table} "  # noqa: S608 - constants only
                f"WHERE id > (SELECT MIN({mark}) FROM b) ORDER BY id DESC LIMIT {cap}")

    sql = f"""
WITH b AS MATERIALIZED (
  SELECT month, built_at, settles_at, case_mark, event_mark, feedback_mark FROM cases_metricsrollupbuild
  WHERE month IN ({marks})
),
ev AS MATERIALIZED ({late("cases_caseevent", "event_mark", "case_id")}),
fb AS MATERIALIZED ({late("cases_casefeedback", "feedback_mark", "case_id")}),
cs AS MATERIALIZED ({late("cases_case", "case_mark", "id")}),
touched AS MATERIALIZED (
  SELECT {month} AS month, MAX(ev.id) AS ev, CAST(NULL AS bigint) AS fb, CAST(NULL AS bigint) AS cs
  FROM ev JOIN cases_case c ON c.id = ev.case_id GROUP BY 1
  UNION ALL SELECT {month}, NULL, MAX(fb.id), NULL FROM fb JOIN cases_case c ON c.id = fb.case_id GROUP BY 1
  UNION ALL SELECT {month}, NULL, NULL, MAX(c.id) FROM cs JOIN cases_case c ON c.id = cs.case_id GROUP BY 1
)
SELECT b.month, b.built_at, b.settles_at,
  (SELECT COUNT(*) FROM ev) >= {cap} OR (SELECT COUNT(*) FROM fb) >= {cap} OR (SELECT COUNT(*) FROM cs) >= {cap},
  EXISTS (SELECT 1 FROM touched t WHERE t.month = b.month AND (t.ev > b.event_mark OR t.fb > b.feedback_mark
                                                               OR t.cs > b.case_mark))
FROM b"""  # noqa: S608 - constants only; values are parameters
    with connection.cursor() as cur:
        cur.execute(sql, list(months))
        rows = cur.fetchall()
    fresh = set()
    for m, built, settles, capped, stale in rows:
        built, settles = (_as_datetime(v) for v in (built, settles))
        if not capped and not stale and month_settled(m, built) and (settles is None or settles > now):
            fresh.add(m)
    return fresh


def _as_datetime(value) -> datetime | None:
    # A raw cursor gives SQLite's naive UTC (as a datetime or its stored text); PostgreSQL's, aware.
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rollup_remark(*, months: list[str], now: datetime | None = None) -> int:
    """Move the marks of the months that are fresh now up to the present, without rebuilding them:
    their rows are proven equal to the facts, so the freshness check need only read what is written
    from here on. Returns how many builds moved. The command does it after its rebuilds."""
    now = now or timezone.now()
    with transaction.atomic():
        fresh = sorted(rollup_fresh(months, now))
        if not fresh:
            return 0
        cutoff = now - MARK_MARGIN
        return MetricsRollupBuild.objects.filter(month__in=fresh).update(
            case_mark=_mark(Case, "created_at", cutoff), event_mark=_mark(CaseEvent, "at", cutoff),
            feedback_mark=_mark(CaseFeedback, "at", cutoff))


@dataclass(frozen=True)
class RollupPlan:
    """How a period splits: months read from the rollup, the rest of the period computed live."""

    rollup_months: tuple[str, ...]
    live_ranges: tuple[tuple[datetime, datetime], ...]  # half-open, merged where adjacent


def _whole_months(period) -> list[str]:
    out = []
    for m in metrics._months(period):
        lo, hi = month_bounds(m)
        first, last = lo.date(), (hi - timedelta(days=1)).date()
        if period.start <= first and period.end >= last:
            out.append(m)
    return out


def rollup_scope_q(user) -> Q | None:
    """The user's scope on rollup rows (by the area chain), or None when the rollup cannot express it:
    a department's scope is its unit's cases plus those it was summoned on by a whistle, and a scope
    below the grid (a compound or building) is finer than the rollup's rows."""
    scope = scope_for(user)
    if Role.DEPARTMENT_HANDLER in scope.roles and scope.unit_ids:
        return None
    q = Q(pk__in=[])
    if scope.roles & _AREA_ROLES:
        if any(len(p) // Area.steplen > len(_CHAIN) for p in scope.paths):
            return None
        # A case's chain holds its place's ancestors, one per level: an area of the scope at depth d is
        # in column d of the chain, and only there. One column per level (not the four OR'ed) lets the
        # (month, community_id) index answer a community's dashboard.
        for depth in sorted({len(p) // Area.steplen for p in scope.paths}):
            paths = [p for p in scope.paths if len(p) // Area.steplen == depth]
            q |= Q(**{f"{_CHAIN[depth - 1]}__in": Area.objects.filter(path__in=paths).values("id")})
        if Role.DISTRICT_ADMIN in scope.roles:  # unplaced triage cases (area_path ''): no chain at all
            q |= Q(**{f"{col}__isnull": True for col in _CHAIN})
    return q


def rollup_plan(user, f, now: datetime | None = None) -> tuple[RollupPlan, Q | None]:
    """Which months of the filters' period the rollup answers for this user (one query, the builds),
    and the rollup rows' scope. Partial months of a custom period are always live."""
    lo, hi = f.period.bounds
    scope = rollup_scope_q(user)
    whole = _whole_months(f.period) if scope is not None else []
    fresh = rollup_fresh(whole, now) if whole else set()
    ranges: list[list[datetime]] = []
    cursor = lo
    for m in sorted(fresh):
        m_lo, m_hi = month_bounds(m)
        if cursor < m_lo:
            ranges.append([cursor, m_lo])
        cursor = m_hi
    if cursor < hi:
        ranges.append([cursor, hi])
    return RollupPlan(tuple(sorted(fresh)), tuple((a, b) for a, b in ranges)), scope


def rollup_rows_sql(f, months: tuple[str, ...], scope: Q) -> tuple[str, list]:
    """The SELECT of the rollup rows for `months`, the user's scope and the filters, with the columns
    cube_sql expects (ROLLUP_KEYS then the Counts fields)."""
    qs = MetricsRollup.objects.filter(scope, month__in=months)
    if f.area is not None:
        qs = qs.filter(**{metrics._CHAIN_FIELD[f.area.kind]: f.area.pk})
    if f.unit_id:
        qs = qs.filter(unit_id=f.unit_id)
    if f.category is not None:
        from .models import Category

        qs = qs.filter(category_id__in=Category.objects.filter(path__startswith=f.category.path).values("id"))
    sql, params = qs.order_by().values_list(*metrics.ROLLUP_KEYS, *metrics.COUNT_FIELDS).query.sql_with_params()
    return sql, list(params)


def rollup_settled_months(now: datetime | None = None) -> list[str]:
    """From the first case's month to the last month time has settled."""
    now = now or timezone.now()
    first = Case.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    local = timezone.localtime(first, LOCAL)
    y, m = local.year, local.month
    months = []
    while month_settled(f"{y:04d}-{m:02d}", now):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def rollup_due_months(now: datetime | None = None) -> list[str]:
    """Months the command should (re)build: the settled months without a build or whose build is
    not fresh."""
    months = rollup_settled_months(now)
    fresh = rollup_fresh(months, now)
    return [mo for mo in months if mo not in fresh]
