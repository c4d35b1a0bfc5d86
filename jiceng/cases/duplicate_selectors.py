"""Duplicate suggestions: which open cases a new report (or a case in triage) probably repeats.

A candidate must be in the user's scope, not merged, not closed, of the same major class, reported
within `WINDOW` of the probe and, when both have a place, within `RADIUS_M` metres of it; its text
must share words with the probe's. Words come from jieba's segmentation of the Chinese text, with the
taxonomy's own names added as words (jieba splits 路灯不亮 as 路/灯不亮) and a few synonyms folded
together (坏了 and 不亮 both say "out of order"). The score weighs text, distance, time and category;
the reasons say which of them matched. One query finds the candidates, whatever their number.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .case_models import Case, CaseState
from .case_selectors import case_scope_q
from .models import Category

RADIUS_M = 200
WINDOW = timedelta(days=7)
# Below this text similarity two reports are about different things, whatever their place and time.
MIN_TEXT = 0.2
MIN_SCORE = 0.4
LIMIT = 5
# How many nearby cases one probe examines at most (the newest first); enough for any real street.
SCAN = 200
EARTH_RADIUS_M = 6_371_000

# Words that carry no subject in a resident's report.
STOPWORDS = frozenset(
    "的 了 在 是 我 有 和 就 不 都 也 很 到 说 要 去 你 会 着 没有 看 好 这 那 吗 呢 啊 吧 请 麻烦 一下 已经 现在 "
    "我们 你们 他们 一个 还 又 被 把 给 让 从 对 向 几天 好几天 今天 昨天 晚上 白天 早上 希望 尽快 处理 解决 反映 "
    "市民 来电 诉求 太大 没法 有人 全是 前面 后面 门口 楼下 楼上 附近 问题 情况 严重 一直 经常 总是 居民 小区 这里 "
    "那里 这边 那边 危险 麻烦 影响 安全 隐患 及时".split()
)
# Different words for the same state of a thing.
SYNONYMS = {
    "坏": "故障", "坏了": "故障", "损坏": "故障", "不亮": "故障", "灯不亮": "故障", "失灵": "故障", "故障": "故障",
    "不好使": "故障", "破损": "破损", "破了": "破损", "丢失": "缺失", "丢了": "缺失", "不见": "缺失", "缺失": "缺失",
    "吵": "噪音", "噪声": "噪音", "噪音": "噪音", "扰民": "噪音", "臭": "异味", "异味": "异味", "臭味": "异味",
    "堵": "堵塞", "堵塞": "堵塞", "堵住": "堵塞", "漏水": "漏水", "渗水": "漏水", "积水": "积水", "淹": "积水",
}
# Objects residents name that the taxonomy's class names do not spell out.
EXTRA_WORDS = ("路灯", "井盖", "垃圾", "油烟", "烧烤", "噪音", "积水", "漏水", "停车", "电梯", "树木", "广告", "摊贩",
               "装修", "施工", "下水道", "化粪池", "红绿灯", "信号灯", "充电", "电动车", "围挡", "扬尘")


@cache
def _domain_words() -> tuple[str, ...]:
    """The shipped taxonomy's names (split at brackets and 、) and the extra objects, longest first."""
    from .taxonomy import DEFAULT_FILE

    words = set(EXTRA_WORDS)
    for spec in json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))["categories"]:
        words.update(p for p in re.split(r"[（）()、/]", spec["name"]) if len(p) >= 2)
    return tuple(sorted(words, key=len, reverse=True))


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(60)  # its "building prefix dict" chatter is no log line of ours
    for word in _domain_words():
        jieba.add_word(word)
    return jieba


def tokens(text: str) -> Counter:
    """The words of a report that say what and where: jieba's words (search mode) of two characters or
    more, minus stopwords, plus every taxonomy word the text contains, with synonyms folded."""
    text = text or ""
    words: list[str] = []
    for word in _jieba().lcut_for_search(text):
        word = word.strip()
        folded = SYNONYMS.get(word)
        if folded:
            words.append(folded)
        elif len(word) >= 2 and word not in STOPWORDS and not re.fullmatch(r"[\W\d_]+", word):
            words.append(word)
    counts = Counter(words)
    # The thing the report is about weighs double: two reports of one lamp share little else.
    for word in _domain_words():
        if word in text:
            counts[word] = max(counts[word], 2)
    for variant, folded in SYNONYMS.items():
        if len(variant) >= 2 and variant in text and folded not in counts:
            counts[folded] = 1
    return counts


def text_similarity(a: str | Counter, b: str | Counter) -> float:
    """Cosine similarity of the two texts' word counts, 0 (nothing shared) to 1."""
    ta = a if isinstance(a, Counter) else tokens(a)
    tb = b if isinstance(b, Counter) else tokens(b)
    dot = sum(ta[w] * tb[w] for w in ta.keys() & tb.keys())
    norm = math.sqrt(sum(v * v for v in ta.values())) * math.sqrt(sum(v * v for v in tb.values()))
    return dot / norm if norm else 0.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Probe:
    """What is known of a report before it is saved (a draft), or of a saved case."""

    category: Category
    description: str
    created_at: datetime
    lat: float | None = None
    lng: float | None = None
    building_id: int | None = None
    pk: int | None = None

    @classmethod
    def of(cls, case: Case) -> Probe:
        lat, lng = case.lat, case.lng
        if lat is None and case.building_id and case.building is not None:
            lat, lng = case.building.lat, case.building.lng
        return cls(category=case.category, description=f"{case.title}\n{case.description}", created_at=case.created_at,
                   lat=lat, lng=lng, building_id=case.building_id, pk=case.pk)


@dataclass(frozen=True)
class Candidate:
    case: Case
    score: float
    text: float
    distance_m: float | None
    hours_apart: float
    reasons: list[str] = field(default_factory=list)


def _box(lat: float, lng: float) -> Q:
    dlat = RADIUS_M / 111_320
    dlng = RADIUS_M / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    point = Q(lat__gte=lat - dlat, lat__lte=lat + dlat, lng__gte=lng - dlng, lng__lte=lng + dlng)
    building = Q(lat__isnull=True, building__lat__gte=lat - dlat, building__lat__lte=lat + dlat,
                 building__lng__gte=lng - dlng, building__lng__lte=lng + dlng)
    return point | building


def _place(case: Case) -> tuple[float | None, float | None]:
    if case.lat is not None:
        return case.lat, case.lng
    if case.building_id and case.building is not None:
        return case.building.lat, case.building.lng
    return None, None


def _judge(probe: Probe, words: Counter, case: Case) -> Candidate | None:
    text = text_similarity(words, f"{case.title}\n{case.description}")
    if text < MIN_TEXT:
        return None
    reasons = [_("similar text (%(pct)d%%)") % {"pct": round(text * 100)}]
    lat, lng = _place(case)
    distance = None
    if probe.building_id and probe.building_id == case.building_id:
        distance = 0.0
        reasons.append(_("same building"))
    elif probe.lat is not None and lat is not None:
        distance = haversine_m(probe.lat, probe.lng, lat, lng)
        if distance > RADIUS_M:
            return None
        reasons.append(_("%(m)d m apart") % {"m": round(distance)})
    hours = abs((case.created_at - probe.created_at).total_seconds()) / 3600
    reasons.append(_("reported %(h)d hours apart") % {"h": round(hours)} if hours < 48
                   else _("reported %(d)d days apart") % {"d": round(hours / 24)})
    same = case.category_id == probe.category.pk
    reasons.append(_("same category") if same else _("same major class"))
    near = 1 - distance / RADIUS_M if distance is not None else 0.3
    soon = max(0.0, 1 - hours / (WINDOW.total_seconds() / 3600))
    score = 0.5 * text + 0.25 * near + 0.15 * soon + (0.1 if same else 0.0)
    if score < MIN_SCORE:
        return None
    return Candidate(case=case, score=round(score, 3), text=round(text, 3), distance_m=distance,
                     hours_apart=round(hours, 1), reasons=reasons)


def _pool_q(probe: Probe) -> Q:
    major = probe.category.path[: Category.steplen]
    q = Q(category__path__startswith=major, merged_into__isnull=True,
          created_at__gte=probe.created_at - WINDOW, created_at__lte=probe.created_at + WINDOW)
    q &= ~Q(state=CaseState.CLOSED)
    if probe.lat is not None:
        q &= _box(probe.lat, probe.lng) | (Q(building_id=probe.building_id) if probe.building_id else Q(pk__in=[]))
    elif probe.building_id:
        q &= Q(building_id=probe.building_id)
    return q


def duplicate_candidates(user, probe: Case | Probe, *, limit: int = LIMIT) -> list[Candidate]:
    """The open cases in the user's scope that `probe` (a case, or a draft report) probably repeats,
    best first, each with its score and reasons. One query."""
    if isinstance(probe, Case):
        probe = Probe.of(probe)
    qs = (Case.objects.filter(case_scope_q(user)).filter(_pool_q(probe)).exclude(pk=probe.pk)
          .select_related("category", "building", "community", "grid").order_by("-created_at")[:SCAN])
    words = tokens(probe.description)
    found = [c for c in (_judge(probe, words, case) for case in qs) if c is not None]
    found.sort(key=lambda c: (-c.score, c.case.number))
    return found[:limit]


def duplicate_candidates_many(user, cases: list[Case], *, limit: int = 3) -> dict[int, list[Candidate]]:
    """Candidates for every case of a list page, in one query for the whole page."""
    probes = [Probe.of(c) for c in cases]
    if not probes:
        return {}
    pool_q = Q(pk__in=[])
    for p in probes:
        pool_q |= _pool_q(p)
    pool = list(Case.objects.filter(case_scope_q(user)).filter(pool_q)
                .select_related("category", "building", "community", "grid").order_by("-created_at")[:SCAN * 5])
    out: dict[int, list[Candidate]] = {}
    for p in probes:
        words = tokens(p.description)
        major = p.category.path[: Category.steplen]
        found = [c for c in (_judge(p, words, case) for case in pool
                             if case.pk != p.pk and case.category.path.startswith(major)
                             and abs(case.created_at - p.created_at) <= WINDOW) if c is not None]
        found.sort(key=lambda c: (-c.score, c.case.number))
        out[p.pk] = found[:limit]
    return out


def case_followed(case: Case) -> Case:
    """The case a reporter's follow-up link should show: the case it was merged into, if merged (merges
    re-point older merges, so one step is the end), else the case itself."""
    return case.merged_into if case.merged_into_id else case


def merged_cases(user, case: Case) -> list[Case]:
    """The cases merged into this one that the user may see."""
    return list(Case.objects.filter(case_scope_q(user), merged_into=case).select_related("category")
                .order_by("created_at"))


def is_recent(case: Case) -> bool:
    return timezone.now() - case.created_at <= WINDOW
