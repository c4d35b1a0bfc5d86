"""The monthly rollup of the feedback metrics: a derived table, never a source of truth.

Rows are the per-case flags of `metrics.cube_sql` (its `per` CTE) summed by month and the case's place,
category and unit; `metrics_rollup.rollup_build` rewrites a month from the facts in one transaction.
The dashboard reads a month from here only when its build is provably fresh (docs/METRICS.md, "The
monthly rollup"); otherwise it computes the month live, so nothing depends on the command having run.
Imported by models.py so Django sees these models as part of the cases app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["MetricsRollup", "MetricsRollupBuild"]


class MetricsRollup(models.Model):
    # Plain integers, not foreign keys: the table is rebuilt from the facts and must not stop an area,
    # category or unit from being changed (scope and names are read from the live tables).
    month = models.CharField(max_length=7)  # YYYY-MM, Asia/Shanghai
    district_id = models.IntegerField(null=True)
    subdistrict_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    grid_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    unit_id = models.IntegerField(null=True)
    cases = models.IntegerField()
    response_due = models.IntegerField()
    responded = models.IntegerField()
    answered = models.IntegerField()
    resolved = models.IntegerField()
    rated = models.IntegerField()
    satisfied = models.IntegerField()
    basically = models.IntegerField()
    closed = models.IntegerField()
    on_time = models.IntegerField()
    handled = models.IntegerField()
    reworked = models.IntegerField()
    # Seconds since the epoch at which the first dispatched-but-unaccepted case of the group becomes
    # "response due" just by time passing; null when none is waiting.
    due_next = models.FloatField(null=True)

    class Meta:
        verbose_name = _("metrics rollup row")
        indexes = [models.Index(fields=["month", "community_id"], name="cases_rollup_month")]


class MetricsRollupBuild(models.Model):
    """When a month was last rebuilt, and the high-water marks of the facts it saw."""

    month = models.CharField(max_length=7, primary_key=True)
    starts = models.DateTimeField()  # the month's bounds (Asia/Shanghai midnight, stored UTC)
    ends = models.DateTimeField()
    built_at = models.DateTimeField()
    case_mark = models.BigIntegerField()  # every Case / CaseEvent / CaseFeedback with an id up to its
    event_mark = models.BigIntegerField()  # mark was committed before the build read the facts
    feedback_mark = models.BigIntegerField()
    settles_at = models.DateTimeField(null=True)  # a waiting dispatch turns "due" then: stale from there
    rows = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("metrics rollup build")
