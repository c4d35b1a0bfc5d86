"""Identity boards (亮身份): for a building or a compound, the Party members who live there and agreed to
be shown, the branch secretary and the group leader with a masked phone, and where the QR code leads.

Always read from the data when asked (never stored), so a member who opts out disappears from the next
page and PDF. Rules, stated once:
- Members shown: Party members whose home is the building (or a building of the compound) and whose
  `show_on_board` is on. Nobody who opted out is named anywhere on the board, post holders included: a
  post whose holder opted out is shown without a name or phone.
- The branch secretary: of the deepest branch anchored on the place or above it (a compound's branch;
  a community-wide branch where a compound has none). The group leader: of the Party groups anchored on
  the building (for a compound: on any of its buildings). Only current posts (started, not ended).

Reading a board needs `org.view` over the place. Five queries whatever the number of residents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import roles
from jiceng.accounts.scope import get_in_scope_or_404, scope_for, scope_q
from jiceng.areas.models import Area, AreaKind

from .models import Member, OrgKind, PartyOrg, Position, PositionTitle

BOARD_KINDS = (AreaKind.BUILDING, AreaKind.COMPOUND)


@dataclass
class Contact:
    title: str
    org_name: str
    name: str  # "" when the holder opted out of the board
    phone_masked: str


@dataclass
class BoardMember:
    name: str
    org_name: str
    place: str  # the building, on a compound's board


@dataclass
class Board:
    place: Area
    members: list[BoardMember]
    secretaries: list[Contact]
    group_leaders: list[Contact]
    buildings: list[Area] = field(default_factory=list)  # a compound's, for links to their boards


def can_view_boards(user) -> bool:
    return scope_for(user).allows(roles.VIEW_ORG)


def board_place_get(user, area_id: int, request=None) -> Area:
    if not can_view_boards(user):
        raise Http404
    return get_in_scope_or_404(user, Area.objects.filter(kind__in=BOARD_KINDS), path_field="path",
                               request=request, pk=area_id)


def board_compounds(user) -> QuerySet[Area]:
    """Compounds in the user's scope, for the list of boards (each links to its buildings')."""
    if not can_view_boards(user):
        return Area.objects.none()
    return Area.objects.filter(scope_q(user, "path"), kind=AreaKind.COMPOUND).order_by("path")


@dataclass
class BoardRow:
    """A line of the list of boards: how many members live in the compound and how many are shown."""

    place: Area
    community: str
    buildings: int
    members: int  # Party members whose home is in the compound
    shown: int  # of them, those who agreed to be shown on the board


def board_rows(compounds: list[Area]) -> list[BoardRow]:
    """The list's lines for compounds (in path order, fetched in scope by the caller). Three queries
    whatever their number: the rows under them are read over one path range and counted here."""
    if not compounds:
        return []
    steplen = Area.steplen
    low, high = compounds[0].path, compounds[-1].path + "~"  # paths use 0-9A-Z, all below "~"
    ancestors = {c.path[: i * steplen] for c in compounds for i in range(1, len(c.path) // steplen)}
    communities = dict(Area.objects.filter(path__in=ancestors, kind=AreaKind.COMMUNITY).values_list("path", "name"))
    lengths = {len(c.path) for c in compounds}
    buildings = Counter(path[:n] for path in Area.objects.filter(path__gte=low, path__lt=high, kind=AreaKind.BUILDING)
                        .values_list("path", flat=True) for n in lengths)
    members: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    for path, on_board in (Member.objects.filter(person__home__path__gte=low, person__home__path__lt=high)
                           .values_list("person__home__path", "show_on_board")):
        for n in lengths:
            members[path[:n]] += 1
            shown[path[:n]] += on_board
    return [
        BoardRow(place=c, buildings=buildings[c.path], members=members[c.path], shown=shown[c.path],
                 community=next((communities[c.path[:n]] for n in range(len(c.path) - steplen, 0, -steplen)
                                 if c.path[:n] in communities), ""))
        for c in compounds
    ]


def _contact(position: Position, shown: dict[int, bool]) -> Contact:
    person = position.person
    visible = shown.get(person.pk, True)
    return Contact(title=position.get_title_display(), org_name=position.org.name,
                   name=person.name if visible else "", phone_masked=person.phone_masked if visible else "")


def identity_board(place: Area) -> Board:
    """The board of a building or compound (fetched in scope by the caller)."""
    today = timezone.localdate()
    steplen = Area.steplen
    members = list(
        Member.objects.filter(person__home__path__startswith=place.path, show_on_board=True)
        .select_related("person__home", "org")
        .order_by("person__home__path", "person__name", "pk")
    )
    ancestors = [place.path[: i * steplen] for i in range(1, len(place.path) // steplen + 1)]
    branches = list(PartyOrg.objects.filter(kind=OrgKind.BRANCH, area_path__in=ancestors).only("id", "area_path"))
    deepest = max((len(b.area_path) for b in branches), default=0)
    branch_ids = [b.pk for b in branches if len(b.area_path) == deepest]
    positions = list(
        Position.objects.held_on(today)
        .filter(
            Q(org_id__in=branch_ids, title=PositionTitle.SECRETARY)
            | Q(org__kind=OrgKind.GROUP, org__area_path__startswith=place.path, title=PositionTitle.GROUP_LEADER)
        )
        .select_related("person", "org")
        .order_by("org__path", "pk")
    )
    # Whether each post holder who is a member agreed to be shown (a non-member holder is shown).
    shown = dict(
        Member.objects.filter(person_id__in=[p.person_id for p in positions]).values_list("person_id", "show_on_board")
    )
    buildings = []
    if place.kind == AreaKind.COMPOUND:
        buildings = list(Area.objects.filter(path__startswith=place.path, kind=AreaKind.BUILDING).order_by("path"))
    return Board(
        place=place,
        members=[BoardMember(name=m.person.name, org_name=m.org.name,
                             place=m.person.home.name if m.person.home else "") for m in members],
        secretaries=[_contact(p, shown) for p in positions if p.title == PositionTitle.SECRETARY],
        group_leaders=[_contact(p, shown) for p in positions if p.title == PositionTitle.GROUP_LEADER],
        buildings=buildings,
    )
