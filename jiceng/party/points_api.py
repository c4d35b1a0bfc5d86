"""JSON API of points, identity boards and QR check-in, on the Party router (mounted at /api/v1/party/...).

Registered on the Party app's own router like dues and meetings (see dues_api's docstring). Scoped like the
pages: out of scope or lacking permission reads as 404; bad input gets 422 per field. A board gives masked
phones only, and never a member who opted out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Query, Schema

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

from . import board_selectors, board_services, checkin_services, points_services
from . import points_selectors as sel
from .api import router, unprocessable

# --- schemas ---------------------------------------------------------------------------------------


class YearQuery(Schema):
    year: int | None = Field(None, ge=2008, le=2100, description="Defaults to the current year")


class RankingQuery(YearQuery):
    org_id: int | None = Field(None, description="Only members of this organization and those under it")
    limit: int = Field(100, ge=1, le=1000, description="Members returned, highest total first")
    offset: int = Field(0, ge=0)


class EntryOut(Schema):
    id: int
    occurred_on: date
    category: str
    item_code: str
    item: str
    source_kind: str
    source_id: int
    quantity: Decimal
    weight: Decimal
    requested: Decimal = Field(description="Before the yearly cap")
    points: Decimal
    capped: bool
    reason: str
    rulebook_version: str = Field(description="year/version of the rulebook it was posted under")


class AwardOut(Schema):
    id: int
    member_id: int
    item_code: str
    quantity: Decimal
    occurred_on: date
    reason: str
    state: str


class PendingAwardOut(AwardOut):
    member_name: str
    org_name: str
    item: str
    proposed_by: str
    proposed_at: datetime
    decidable: bool = Field(description="False for the caller's own proposals: someone else must decide them")


class LedgerOut(Schema):
    member_id: int
    name: str
    org_id: int
    year: int
    total: Decimal
    categories: dict[str, Decimal]
    entries: list[EntryOut]
    pending: list[AwardOut]


class RankedOut(Schema):
    member_id: int
    name: str
    org_id: int
    branch: str
    community: str
    total: Decimal
    rank_in_branch: int
    rank_in_community: int


class GroupOut(Schema):
    name: str
    members: int
    total: Decimal
    average: Decimal


class RankingOut(Schema):
    year: int
    count: int
    members: list[RankedOut]
    branches: list[GroupOut]
    communities: list[GroupOut]


class ItemOut(Schema):
    code: str
    category_code: str
    category: str
    name: str
    points: Decimal
    unit: str
    yearly_cap: Decimal | None
    source_kind: str
    source_detail: str
    active: bool


class ClassRuleOut(Schema):
    member_category: str
    item_code: str
    weight: Decimal
    excluded: bool


class RulebookOut(Schema):
    id: int
    year: int
    version: int
    name: str
    items: list[ItemOut]
    class_rules: list[ClassRuleOut]


class ItemIn(Schema):
    code: str = Field(..., description="An existing code keeps its history; a new code adds an item")
    name: str
    category_code: str = Field(..., description="One of the rulebook's categories")
    points: Decimal = Field(..., description="Per unit, to two decimal places; negative for a deduction")
    yearly_cap: Decimal | None = Field(None, description="Most points a member gets from it in a year; none: no cap")
    unit: str = "event"
    source_kind: str = "manual"
    source_detail: str = ""
    active: bool = True


class ClassRuleIn(Schema):
    member_category: str
    weight: Decimal = Decimal(1)
    excluded: bool = False
    item_code: str = Field("", description="Blank: the rule applies to every item")


class RulebookIn(Schema):
    year: int = Field(..., ge=2008, le=2100)
    items: list[ItemIn] = Field(..., description="The whole list: an item left out is not in the new version")
    class_rules: list[ClassRuleIn] = Field(default_factory=list, description="Replace the previous ones")
    note: str = Field("", description="Why this version (kept in the audit log)")


class AwardIn(Schema):
    item_code: str
    occurred_on: date
    reason: str = Field(..., max_length=500)
    quantity: Decimal = Field(Decimal(1), gt=0, le=1000)


class DecideIn(Schema):
    approve: bool
    reason: str = Field("", max_length=500)


class ContactOut(Schema):
    title: str
    org_name: str
    name: str = Field(description="Empty when the post holder opted out of the board")
    phone_masked: str


class BoardMemberOut(Schema):
    name: str
    org_name: str
    place: str


class BoardOut(Schema):
    area_id: int
    code: str
    name: str
    members: list[BoardMemberOut]
    secretaries: list[ContactOut]
    group_leaders: list[ContactOut]
    intake_url: str


class BoardChoiceIn(Schema):
    show: bool


class BoardChoiceOut(Schema):
    member_id: int
    show_on_board: bool


class CheckInIn(Schema):
    token: str = Field(..., max_length=500, description="The code from the organizer's QR code")


class CheckInOut(Schema):
    meeting_id: int
    member_id: int
    checked_in_at: datetime


# --- helpers -----------------------------------------------------------------------------------------


def _year(query: YearQuery) -> int:
    return query.year or sel.this_year()


def _ledger_out(ledger: sel.MemberLedger) -> dict:
    m = ledger.member
    return {
        "member_id": m.pk, "name": m.person.name, "org_id": m.org_id, "year": ledger.year, "total": ledger.total,
        "categories": {c.code: c.points for c in ledger.categories},
        "entries": [
            {"id": e.pk, "occurred_on": e.occurred_on, "category": e.item.category.name, "item_code": e.item_code,
             "item": e.item.name, "source_kind": e.source_kind, "source_id": e.source_id, "quantity": e.quantity,
             "weight": e.weight, "requested": e.requested, "points": e.points, "capped": e.capped,
             "reason": e.reason, "rulebook_version": f"{e.rulebook.year}/{e.rulebook.version}"}
            for e in ledger.entries
        ],
        "pending": [_award_out(a) for a in ledger.awards],
    }


def _award_out(a) -> dict:
    return {"id": a.pk, "member_id": a.member_id, "item_code": a.item.code, "quantity": a.quantity,
            "occurred_on": a.occurred_on, "reason": a.reason, "state": a.state}


def _group(g: sel.GroupTotal) -> dict:
    return {"name": g.name, "members": g.members, "total": g.total, "average": g.average}


# --- points ----------------------------------------------------------------------------------------


@router.get("/points/me", response=LedgerOut, summary="The signed-in member's own points of a year")
def points_me(request, query: Query[YearQuery]):
    member = sel.points_member_for_self(request.auth)
    return _ledger_out(sel.member_ledger(member, _year(query)))


@router.get("/points/members/{member_id}", response=LedgerOut, summary="A member's points ledger for a year")
def points_member(request, member_id: int, query: Query[YearQuery]):
    member = sel.points_member_get(request.auth, member_id, request=request)
    return _ledger_out(sel.member_ledger(member, _year(query)))


@router.get("/points/ranking", response=RankingOut, summary="Members ranked by points; totals per branch and community")
def points_ranking(request, query: Query[RankingQuery]):
    if not sel.can_view_points(request.auth):
        raise Http404
    root = sel.points_org_get(request.auth, query.org_id, request=request) if query.org_id else None
    data = sel.points_ranking(request.auth, _year(query), root=root)
    page = data.members[query.offset : query.offset + query.limit]
    return {
        "year": data.year, "count": len(data.members),
        "members": [{"member_id": r.member_id, "name": r.name, "org_id": r.org_id, "branch": r.branch_name,
                     "community": r.community_name, "total": r.total, "rank_in_branch": r.rank_in_branch,
                     "rank_in_community": r.rank_in_community} for r in page],
        "branches": [_group(g) for g in data.branches],
        "communities": [_group(g) for g in data.communities],
    }


def _rulebook_out(rules: sel.Rules) -> dict:
    codes = {i.pk: i.code for i in rules.items}
    b = rules.rulebook
    return {
        "id": b.pk, "year": b.year, "version": b.version, "name": b.name,
        "items": [{"code": i.code, "category_code": i.category.code, "category": i.category.name, "name": i.name,
                   "points": i.points, "unit": i.unit, "yearly_cap": i.yearly_cap, "source_kind": i.source_kind,
                   "source_detail": i.source_detail, "active": i.active} for i in rules.items],
        "class_rules": [{"member_category": r.member_category, "item_code": codes.get(r.item_id, ""),
                         "weight": r.weight, "excluded": r.excluded} for r in b.class_rules.all()],
    }


@router.get("/points/rules", response=RulebookOut, summary="The points rulebook in force for a year")
def points_rules(request, query: Query[YearQuery]):
    if not (sel.can_view_points(request.auth) or sel.can_edit_rules(request.auth)):
        raise Http404
    rules = sel.Rules.for_year(_year(query))
    if rules is None:
        raise Http404
    return _rulebook_out(rules)


@router.post("/points/rules", response={201: RulebookOut},
             summary="Save the next version of a year's rulebook (the district administrator)")
def points_rules_edit(request, payload: RulebookIn):
    """As the rulebook page: the whole item list and class rules of the new version; versions already
    written, and the points posted under them, stay as they were."""
    if not sel.can_edit_rules(request.auth):
        raise Http404
    try:
        points_services.points_rulebook_edit(
            actor=request.auth, year=payload.year, note=payload.note, request=request,
            items=[points_services.ItemSpec(**i.model_dump()) for i in payload.items],
            class_rules=[points_services.ClassSpec(**r.model_dump()) for r in payload.class_rules],
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc, names={"classes": "class_rules"}) from exc
    return 201, _rulebook_out(sel.Rules.for_year(payload.year))


@router.post("/points/members/{member_id}/awards", response={201: AwardOut},
             summary="Propose a manual award or deduction (someone else approves it)")
def points_award_propose(request, member_id: int, payload: AwardIn):
    member = sel.points_member_get(request.auth, member_id, request=request)
    if not sel.can_award_for(request.auth, member.area_path):
        raise Http404
    try:
        award = points_services.points_award_propose(
            actor=request.auth, member=member, item_code=payload.item_code, occurred_on=payload.occurred_on,
            reason=payload.reason, quantity=payload.quantity, request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return 201, _award_out(award)


@router.get("/points/awards", response=list[PendingAwardOut],
            summary="Proposed awards and deductions in scope, waiting for a decision")
def points_awards_pending(request):
    scope = scope_for(request.auth)
    if not (scope.allows(roles.CHANGE_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        raise Http404
    return [
        {**_award_out(a), "member_name": a.member.person.name, "org_name": a.member.org.name, "item": a.item.name,
         "proposed_by": a.proposed_by.get_username() if a.proposed_by else "", "proposed_at": a.proposed_at,
         "decidable": a.proposed_by_id != request.auth.pk}
        for a in sel.pending_awards(request.auth)[:500]
    ]


@router.post("/points/awards/{award_id}/decide", response=AwardOut, summary="Approve or reject a proposed award")
def points_award_decide(request, award_id: int, payload: DecideIn):
    award = sel.award_get(request.auth, award_id, request=request)
    if not sel.can_award_for(request.auth, award.area_path):
        raise Http404
    try:
        award = points_services.points_award_decide(actor=request.auth, award=award, approve=payload.approve,
                                                    reason=payload.reason, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return _award_out(award)


# --- identity boards and check-in --------------------------------------------------------------------


@router.get("/boards/{area_id}", response=BoardOut, summary="The identity board of a building or compound")
def board(request, area_id: int):
    from django.urls import reverse

    place = board_selectors.board_place_get(request.auth, area_id, request=request)
    b = board_selectors.identity_board(place)
    contact = lambda c: {"title": c.title, "org_name": c.org_name, "name": c.name,  # noqa: E731
                         "phone_masked": c.phone_masked}
    return {
        "area_id": place.pk, "code": place.code, "name": place.name,
        "members": [{"name": m.name, "org_name": m.org_name, "place": m.place} for m in b.members],
        "secretaries": [contact(c) for c in b.secretaries], "group_leaders": [contact(c) for c in b.group_leaders],
        "intake_url": request.build_absolute_uri(reverse("resident:building", args=[place.code])),
    }


@router.post("/board/me", response=BoardChoiceOut, summary="The signed-in member's choice to be shown on the board")
def board_me(request, payload: BoardChoiceIn):
    member = sel.points_member_for_self(request.auth)
    try:
        member = board_services.member_board_visibility_set(actor=request.auth, member=member, show=payload.show,
                                                            request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    return {"member_id": member.pk, "show_on_board": member.show_on_board}


@router.post("/checkin", response=CheckInOut, summary="Check in to a meeting with the code of its QR code")
def checkin(request, payload: CheckInIn):
    try:
        check_in = checkin_services.meeting_check_in(actor=request.auth, token=payload.token, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise unprocessable(exc) from exc
    return {"meeting_id": check_in.object_id, "member_id": check_in.member_id,
            "checked_in_at": check_in.checked_in_at}
