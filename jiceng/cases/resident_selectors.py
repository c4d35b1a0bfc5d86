"""Reads of the residents' channel: the categories a resident chooses from, the place a QR code
names, and what a private link shows (public-safe: states and times, never staff names, notes or
anyone's personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.areas.models import Area

from .case_models import Case, CaseState
from .models import Category
from .resident_models import ResidentLink
from .resident_services import RATEABLE, followed_case, token_hash

# What each step of the workflow means to the resident. A transition not listed here (added by
# another part of the platform) is shown by the state it led to.
STEP_LABELS = {
    "report": _("Received"),
    "route": _("Placed with the responsible area"),
    "dispatch": _("Sent to the responsible unit"),
    "accept": _("Accepted by the unit"),
    "return": _("Being sent to the right unit"),
    "handle": _("Work reported done"),
    "suspend": _("Deferred (approved)"),
    "resume": _("Work resumed"),
    "verify": _("Result checked"),
    "rework": _("Sent back for more work"),
    "close": _("Closed"),
    "reopen": _("Reopened"),
}


# What residents report most comes first: events (things happening), then components (things broken),
# then the request types (inquiry, help, complaint, report, suggestion).
_CLASS_ORDER = {"event": 0, "component": 1}


def resident_categories() -> list[tuple[str, Category, list[Category]]]:
    """The taxonomy as a resident meets it: (label, major class, its active minor classes), events
    first. A major class without minor classes (the five request types) is a choice of its own. Two
    major classes of one name (市容环境 is both a component and an event class) carry their class."""
    cats = list(Category.objects.filter(active=True).order_by("path").only(
        "id", "code", "name", "path", "depth", "case_class"))
    groups: list[tuple[Category, list[Category]]] = []
    for c in cats:
        if c.depth == 1:
            groups.append((c, []))
        elif groups and c.path.startswith(groups[-1][0].path):
            groups[-1][1].append(c)
    groups.sort(key=lambda g: _CLASS_ORDER.get(g[0].case_class, 2))  # stable: codes stay in order
    names = [g[0].name for g in groups]
    out = []
    for major, minors in groups:
        label = major.name
        if names.count(major.name) > 1 and major.case_class:
            label = f"{major.name}（{major.get_case_class_display()}）"
        out.append((label, major, minors))
    return out


def resident_category(category_id) -> Category | None:
    """A category a resident may choose (active; a major class only where it has no minor classes)."""
    try:
        pk = int(category_id)
    except (TypeError, ValueError):
        return None
    c = Category.objects.filter(pk=pk, active=True).first()
    if c is None or (c.depth == 1 and c.numchild and Category.objects.filter(
            path__startswith=c.path, depth=2, active=True).exists()):
        return None
    return c


PLACE_KINDS = ("compound", "building")


def qr_place(code: str):
    """The building or compound a QR poster names, or None."""
    return (Area.objects.filter(code=code, kind__in=("building", "compound"))
            .only("id", "code", "name", "kind", "path", "depth").first())


def link_by_token(token: str) -> ResidentLink | None:
    if not token or len(token) > 100:
        return None
    return ResidentLink.objects.select_related("case").filter(token_hash=token_hash(token)).first()


@dataclass(frozen=True)
class Step:
    at: datetime
    label: str


@dataclass(frozen=True)
class ResidentView:
    own: Case          # the case the resident reported
    case: Case         # the case whose progress is shown (own, or the one it was merged into)
    state_label: str
    steps: list[Step]
    can_rate: bool


def resident_view(link: ResidentLink) -> ResidentView:
    own = link.case
    case = followed_case(own)
    states = dict(CaseState.choices)
    events = list(case.events.order_by("seq").only("at", "transition", "to_state"))
    steps = [Step(e.at, str(STEP_LABELS.get(e.transition, states.get(e.to_state, e.to_state)))) for e in events]
    last = events[-1].at if events else None
    can_rate = case.state in RATEABLE and (link.rated_at is None or (last is not None and link.rated_at < last))
    return ResidentView(own=own, case=case, state_label=str(states.get(case.state, case.state)), steps=steps,
                        can_rate=can_rate)


# --- posters (the caller has checked the area is in the user's scope) ---


def poster_places(area: Area) -> QuerySet:
    """The area itself if it is a place, and every building and compound under it, in tree order."""
    return Area.objects.filter(path__startswith=area.path, kind__in=PLACE_KINDS).order_by("path").only(
        "id", "code", "name", "kind", "path", "depth")


def poster_chains(places: list[Area]) -> dict[int, str]:
    """For each place, the names above it from the community down (one query for all)."""
    steplen = Area.steplen
    prefixes = {p.path[: steplen * d] for p in places for d in range(1, p.depth)}
    names = {a.path: a for a in Area.objects.filter(path__in=prefixes).only("path", "name", "kind")}
    out = {}
    for p in places:
        above = [names.get(p.path[: steplen * d]) for d in range(1, p.depth)]
        out[p.pk] = " ".join(a.name for a in above if a is not None and a.kind in ("community", "compound"))
    return out
