"""Writes of Party members' points: posting from verified events, manual awards and deductions
(proposed → approved | rejected, by someone other than the proposer), and new versions of the rulebook.

Posting rules, stated once:
- The rulebook is the one in force for the year of the event's date (points_selectors.Rules.for_year).
- A member class the rulebook excludes gets nothing (no entry); a weighted class gets weight × points.
- An item's yearly cap bounds the absolute sum one member gets from it in a year (by item code, so a
  new version of the rulebook within the year does not reset it): the entry that would pass the cap is
  cut to what is left, and once nothing is left an entry of 0 points is still written (so the event is
  seen, and posting stays idempotent), marked capped.
- One entry per (source kind, source id, member): posting the same source again returns the entry
  already written. Postings for one member are serialized by locking the member row, so two concurrent
  postings cannot both pass a cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for

from . import points_selectors as sel
from .models import Member, MemberCategory
from .points_models import (
    AwardState,
    PointsAward,
    PointsCategory,
    PointsClassRule,
    PointsEntry,
    PointsItem,
    PointsRulebook,
    PointsUnit,
    SourceKind,
)
from .services import check_org_change

CENT = Decimal("0.01")
MAX_QUANTITY = Decimal("1000")
MAX_POINTS = Decimal("1000")


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


# --- posting -----------------------------------------------------------------------------------------------


def _cap(item: PointsItem, member: Member, year: int, requested: Decimal) -> tuple[Decimal, bool]:
    if item.yearly_cap is None:
        return requested, False
    so_far = (
        PointsEntry.objects.filter(member=member, item_code=item.code, year=year).aggregate(s=Sum("points"))["s"]
        or Decimal(0)
    )
    room = max(item.yearly_cap - abs(so_far), Decimal(0))
    if abs(requested) <= room:
        return requested, False
    return (room if requested >= 0 else -room), True


def _post(
    *,
    actor,
    rules: sel.Rules,
    item: PointsItem,
    member: Member,
    source_kind: str,
    source_id: int,
    quantity: Decimal,
    at: date,
    approved_by,
    reason: str,
    request,
) -> PointsEntry | None:
    """Write one entry (inside the caller's transaction); None when the member's class is excluded."""
    weight, excluded = rules.weight(item, member.category)
    if excluded:
        return None
    # Serialize this member's postings: the cap is read and written under the lock.
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).first()
    existing = PointsEntry.objects.filter(source_kind=source_kind, source_id=source_id, member=member).first()
    if existing is not None:
        return existing
    requested = (item.points * quantity * weight).quantize(CENT)
    points, capped = _cap(item, member, at.year, requested)
    try:
        with transaction.atomic():
            entry = PointsEntry.objects.create(
                member=member, org_id=member.org_id, area_path=member.area_path, rulebook=rules.rulebook,
                item=item, item_code=item.code, year=at.year, occurred_on=at, quantity=quantity, weight=weight,
                requested=requested, points=points, capped=capped, source_kind=source_kind, source_id=source_id,
                reason=reason, approved_by=_user(approved_by),
            )
    except IntegrityError:
        # The same source posted concurrently for this member: the other posting won.
        return PointsEntry.objects.get(source_kind=source_kind, source_id=source_id, member=member)
    audit_record(
        actor=actor, action="points.post", obj=entry, request=request,
        changes={"member": member.pk, "item": item.code, "year": at.year, "points": str(points),
                 "requested": str(requested), "capped": capped, "source": f"{source_kind}:{source_id}"},
    )
    return entry


def points_post_for_source(
    *,
    actor,
    source_kind: str,
    source_id: int,
    member: Member,
    at: date,
    item_code: str | None = None,
    detail: str = "",
    quantity: Decimal | int | str = 1,
    approved_by=None,
    reason: str = "",
    request=None,
) -> PointsEntry | None:
    """Post points for a verified event: a meeting attended, a service record confirmed, volunteer hours.

    Call it from the service that verified the event, inside its transaction (that service has checked
    the actor's right over the event; the confirming community need not govern the member's workplace
    organization, so only `org.change` somewhere is required here). `source_kind` is a SourceKind value
    other than "manual" and `source_id` the event's primary key: posting is idempotent per (source kind,
    source id, member) and returns the entry already written. `item_code` names the item; without it the
    first active item of the rulebook posted from `source_kind` (and matching `detail`, e.g. the meeting
    kind) is used. `quantity` is events or hours (for items counted per hour). `at` is the event's date:
    its year picks the rulebook and the year the points count for. `approved_by` is the user who verified
    the event (defaults to the actor). Returns None when no item applies or the member's class is excluded.
    """
    if actor is not None and not scope_for(actor).allows(roles.CHANGE_ORG):
        raise PermissionDenied
    if source_kind not in SourceKind.values or source_kind == SourceKind.MANUAL:
        raise ValueError(f"not a postable source kind: {source_kind!r}")
    amount = _decimal(quantity)
    if amount is None or amount <= 0 or amount > MAX_QUANTITY:
        raise ValidationError({"quantity": [_("Enter a quantity above 0 and at most 1000.")]})
    existing = PointsEntry.objects.filter(source_kind=source_kind, source_id=source_id, member=member).first()
    if existing is not None:
        return existing
    rules = sel.Rules.for_year(at.year)
    if rules is None:
        return None
    item = rules.item(item_code) if item_code else rules.item_for_source(source_kind, detail)
    if item is None or not item.active:
        return None
    with transaction.atomic():
        return _post(actor=actor, rules=rules, item=item, member=member, source_kind=source_kind,
                     source_id=source_id, quantity=amount, at=at,
                     approved_by=approved_by if approved_by is not None else actor, reason=reason, request=request)


def points_post_for_meeting(*, actor, meeting, request=None) -> list[PointsEntry]:
    """Points for everyone present at an approved meeting (called by meeting_review on approval).
    Idempotent: a member already credited for this meeting is not credited again."""
    from .meeting_models import MeetingAttendance

    if meeting.held_on is None:
        return []
    rules = sel.Rules.for_year(meeting.held_on.year)
    if rules is None:
        return []
    item = rules.item_for_source(SourceKind.MEETING, meeting.kind)
    if item is None:
        return []
    present = [
        row.member
        for row in MeetingAttendance.objects.filter(meeting=meeting, present=True).select_related("member")
    ]
    entries = []
    with transaction.atomic():
        for member in present:
            entry = _post(actor=actor, rules=rules, item=item, member=member, source_kind=SourceKind.MEETING,
                          source_id=meeting.pk, quantity=Decimal(1), at=meeting.held_on, approved_by=actor,
                          reason="", request=request)
            if entry is not None:
                entries.append(entry)
    return entries


# --- manual awards and deductions ----------------------------------------------------------------------------


def points_award_propose(
    *,
    actor,
    member: Member,
    item_code: str,
    occurred_on: date,
    reason: str,
    quantity: Decimal | int | str = 1,
    request=None,
) -> PointsAward:
    """Propose a manual award (or, for an item with negative points, a deduction) with a reason. It posts
    nothing until someone else approves it."""
    check_org_change(actor, member.area_path)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason for the award or deduction.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Keep the reason under 500 characters.")]
    amount = _decimal(quantity)
    if amount is None or amount <= 0 or amount > MAX_QUANTITY:
        errors["quantity"] = [_("Enter a quantity above 0 and at most 1000.")]
    item = None
    if occurred_on is None:
        errors["occurred_on"] = [_("This field is required.")]
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    else:
        rules = sel.Rules.for_year(occurred_on.year)
        item = rules.item(item_code) if rules is not None else None
        if item is None or not item.active:
            errors["item_code"] = [_("Choose an item of the rulebook in force that year.")]
        elif item.source_kind != SourceKind.MANUAL:
            errors["item_code"] = [_("This item is posted from verified events, not by hand.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        award = PointsAward.objects.create(
            member=member, area_path=member.area_path, item=item, quantity=amount, occurred_on=occurred_on,
            reason=reason, proposed_by=_user(actor),
        )
        audit_record(actor=actor, action="points_award.propose", obj=award, request=request, reason=reason,
                     changes={"member": member.pk, "item": item.code, "quantity": str(amount),
                              "occurred_on": occurred_on.isoformat()})
    return award


def points_award_decide(*, actor, award: PointsAward, approve: bool, reason: str = "", request=None) -> PointsAward:
    """Approve (posting the entry) or reject a proposed award. The decider must be a user other than the
    proposer and may change organizations over the member's; a rejection needs a reason."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    check_org_change(actor, award.area_path)
    reason = (reason or "").strip()
    if award.proposed_by_id == actor.pk:
        raise ValidationError({"decision": [_("Someone other than the proposer must decide.")]})
    if not approve and not reason:
        raise ValidationError({"reason": [_("Say why the proposal is rejected.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    target = AwardState.APPROVED if approve else AwardState.REJECTED
    now = timezone.now()
    with transaction.atomic():
        updated = PointsAward.objects.filter(pk=award.pk, state=AwardState.PROPOSED).update(
            state=target, decided_by=actor, decided_at=now, decision_reason=reason
        )
        if not updated:
            raise ValidationError({"decision": [_("This proposal has already been decided; reload the page.")]})
        award.state, award.decided_by, award.decided_at, award.decision_reason = target, actor, now, reason
        if approve:
            member = Member.objects.get(pk=award.member_id)
            rules = sel.Rules.for_year(award.occurred_on.year)
            _post(actor=actor, rules=rules, item=award.item, member=member, source_kind=SourceKind.MANUAL,
                  source_id=award.pk, quantity=award.quantity, at=award.occurred_on, approved_by=actor,
                  reason=award.reason, request=request)
        audit_record(actor=actor, action="points_award.decide", obj=award, request=request, reason=reason,
                     changes={"from": AwardState.PROPOSED, "to": target})
    return award


# --- the rulebook ---------------------------------------------------------------------------------------------


@dataclass
class ItemSpec:
    """One item of a new rulebook version: an existing code keeps its category."""

    code: str
    name: str
    category_code: str
    points: Decimal | str
    yearly_cap: Decimal | str | None = None
    unit: str = PointsUnit.EVENT
    source_kind: str = SourceKind.MANUAL
    source_detail: str = ""
    active: bool = True


@dataclass
class ClassSpec:
    member_category: str
    weight: Decimal | str = Decimal(1)
    excluded: bool = False
    item_code: str = ""  # blank: every item


def points_rulebook_edit(
    *,
    actor,
    year: int,
    items: Iterable[ItemSpec],
    class_rules: Iterable[ClassSpec] = (),
    note: str = "",
    request=None,
) -> PointsRulebook:
    """Make the next version of `year`'s rulebook from the one in force for that year, with `items`
    (each item's points, cap, name, whether active; new codes add items to an existing category) and
    `class_rules` (replacing the previous ones). Versions already written, and other years, stay as they
    were. Only a district administrator edits."""
    if actor is not None and not sel.can_edit_rules(actor):
        raise PermissionDenied
    base = sel.rulebook_in_force(year)
    if base is None:
        raise ValidationError({"year": [_("No rulebook exists to edit for this year.")]})
    categories = {c.code: c for c in base.categories.all()}
    errors: dict[str, list[str]] = {}
    specs = list(items)
    seen: set[str] = set()
    clean: list[tuple[ItemSpec, Decimal, Decimal | None]] = []
    for i, spec in enumerate(specs):
        prefix = f"items-{i}-"
        code = (spec.code or "").strip()
        if not code or len(code) > 40:
            errors[prefix + "code"] = [_("Give a code of at most 40 characters.")]
        elif code in seen:
            errors[prefix + "code"] = [_("Each item needs its own code.")]
        seen.add(code)
        if not (spec.name or "").strip() or len(spec.name) > 200:
            errors[prefix + "name"] = [_("Give a name of at most 200 characters.")]
        if spec.category_code not in categories:
            errors[prefix + "category_code"] = [_("Choose one of the categories.")]
        points = _decimal(spec.points)
        if points is None or abs(points) > MAX_POINTS or points != points.quantize(CENT):
            errors[prefix + "points"] = [_("Enter points between -1000 and 1000, to two decimal places.")]
        cap = _decimal(spec.yearly_cap)
        if spec.yearly_cap not in (None, "") and (cap is None or cap < 0 or cap > 100000):
            errors[prefix + "yearly_cap"] = [_("Enter a cap of 0 or more, or leave it empty for none.")]
        if spec.unit not in PointsUnit.values:
            errors[prefix + "unit"] = [_("Choose a valid unit.")]
        if spec.source_kind not in SourceKind.values:
            errors[prefix + "source_kind"] = [_("Choose a valid source.")]
        clean.append((spec, points or Decimal(0), cap))
    rules = list(class_rules)
    for i, rule in enumerate(rules):
        prefix = f"classes-{i}-"
        if rule.member_category not in MemberCategory.values:
            errors[prefix + "member_category"] = [_("Choose a valid member class.")]
        weight = _decimal(rule.weight)
        if weight is None or weight < 0 or weight > 10:
            errors[prefix + "weight"] = [_("Enter a weight between 0 and 10.")]
        if rule.item_code and rule.item_code not in seen:
            errors[prefix + "item_code"] = [_("Choose one of the items.")]
    if not specs:
        errors["items"] = [_("A rulebook needs at least one item.")]
    if len(note) > 500:
        errors["note"] = [_("Keep the note under 500 characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        last = PointsRulebook.objects.select_for_update().filter(year=year).order_by("-version").first()
        rulebook = PointsRulebook.objects.create(
            year=year, version=(last.version + 1) if last is not None else 1, name=base.name, note=note.strip(),
            created_by=_user(actor),
        )
        new_categories = {
            code: PointsCategory.objects.create(rulebook=rulebook, code=code, name=c.name, order=c.order)
            for code, c in categories.items()
        }
        new_items = {}
        for order, (spec, points, cap) in enumerate(clean):
            new_items[spec.code.strip()] = PointsItem.objects.create(
                rulebook=rulebook, category=new_categories[spec.category_code], code=spec.code.strip(),
                name=spec.name.strip(), points=points, unit=spec.unit, yearly_cap=cap, source_kind=spec.source_kind,
                source_detail=spec.source_detail.strip(), active=spec.active, order=order,
            )
        PointsClassRule.objects.bulk_create(
            PointsClassRule(rulebook=rulebook, item=new_items.get(r.item_code) if r.item_code else None,
                            member_category=r.member_category, weight=_decimal(r.weight), excluded=r.excluded)
            for r in rules
        )
        audit_record(
            actor=actor, action="points_rulebook.edit", obj=rulebook, request=request, reason=note.strip(),
            changes={"year": year, "version": rulebook.version, "from": base.pk, "items": len(clean),
                     "class_rules": len(rules)},
        )
    return rulebook
