"""Which category a report's text is probably about: the suggestion a grid worker accepts or changes.

The text is segmented as for duplicates (jieba with the taxonomy's names as words and synonyms folded,
duplicate_selectors.tokens), and compared with each category's name: a minor class counts fully, its
major class a quarter (so 井盖 alone points at the manhole classes, and the major class breaks ties
only). Only classes a report can be filed under are offered (minor classes, and major classes without
minor ones). Category names are few and short; their words are computed once per name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.db.models import Count, Q
from django.utils import timezone

from .case_models import Case, CaseEvent
from .case_selectors import case_scope_q
from .duplicate_selectors import text_similarity, tokens
from .models import Category

# Everyday names of things whose class has an official name that shares no word with them.
ALIASES = {
    "红绿灯": "交通信号灯", "摆摊": "流动摊贩", "违章搭建": "违法建设", "违建": "违法建设", "乱停车": "机动车乱停放",
    "煤气": "燃气", "漏气": "燃气泄漏", "塌了": "塌陷", "水管爆了": "供水管道爆裂", "小广告": "非法小广告",
    "牛皮癣": "非法小广告", "共享单车": "非机动车乱停放", "电动车乱停": "非机动车乱停放",
}
LIMIT = 3
# Below this the text names nothing of the category: better no suggestion than a wrong one.
MIN_SCORE = 0.15
MAJOR_WEIGHT = 0.25


@dataclass(frozen=True)
class Suggestion:
    category: Category
    score: float


@lru_cache(maxsize=4096)
def _name_words(name: str) -> Counter:
    return tokens(name)


def category_suggestions(description: str, *, limit: int = LIMIT) -> list[Suggestion]:
    """The categories the text most probably belongs to, best first (empty when nothing matches)."""
    text = (description or "")[:5000]
    for alias, official in ALIASES.items():
        if alias in text:
            text += f" {official}"
    words = tokens(text)
    if not words:
        return []
    cats = list(Category.objects.filter(active=True).order_by("path"))
    by_path = {c.path: c for c in cats}
    has_children = {c.path[: c.steplen * (c.depth - 1)] for c in cats if c.depth > 1}
    scored = []
    for c in cats:
        if c.path in has_children:
            continue  # a major class with minor ones: the report goes under one of those
        major = by_path.get(c.path[: c.steplen]) if c.depth > 1 else None
        score = text_similarity(words, _name_words(c.name))
        if major is not None:
            score += MAJOR_WEIGHT * text_similarity(words, _name_words(major.name))
        if score >= MIN_SCORE:
            scored.append(Suggestion(category=c, score=round(score, 3)))
    scored.sort(key=lambda s: (-s.score, s.category.path))
    return scored[:limit]


@dataclass(frozen=True)
class SuggestionOutcomes:
    days: int
    suggested: int  # reports sent with a suggestion
    kept: int  # of them, filed under the suggested category

    @property
    def kept_rate(self) -> float | None:
        return self.kept / self.suggested if self.suggested else None


def suggestion_outcomes(user, *, days: int = 90) -> SuggestionOutcomes:
    """How often reporters kept the suggested category, over the reports of the last `days` in the
    user's scope (the report event records both, case_services.case_report). One query."""
    since = timezone.now() - timedelta(days=days)
    cases = Case.objects.filter(case_scope_q(user), created_at__gte=since).values("pk")
    counts = CaseEvent.objects.filter(case__in=cases, transition="report", data__has_key="suggested_category") \
        .aggregate(suggested=Count("pk"), kept=Count("pk", filter=Q(data__suggestion_kept=True)))
    return SuggestionOutcomes(days=days, suggested=counts["suggested"], kept=counts["kept"])


def report_suggestion(events: list[CaseEvent]) -> tuple[Category | None, bool | None]:
    """The category suggested at a case's report (its first event, of `events` in order) and whether the
    reporter kept it; (None, None) for a report sent without a suggestion."""
    data = events[0].data if events else {}
    code = data.get("suggested_category")
    return (Category.objects.filter(code=code).first() if code else None), data.get("suggestion_kept")
