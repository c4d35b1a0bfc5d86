"""This year's points ledger for the demo district, derived from its Party life the way posting does: every
member present at an approved meeting gets the rulebook item for that meeting kind (weight 1, capped per
member, item and year); every confirmed service record (dualreg.py: about a third of the members, this year
and last) gets its hours, posted against that record as service_claim_confirm does; one in twenty members
has an approved manual award. Rows go in with plain executemany (FastInserter), like
the rest of the demo, so the ranking, the member pages and the benchmark have a real-sized ledger.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.utils import timezone

from jiceng.party.dualreg_models import ClaimState, ServiceClaim
from jiceng.party.meeting_models import MeetingAttendance, MeetingState
from jiceng.party.models import Member
from jiceng.party.points_models import PointsEntry, PointsItem, SourceKind
from jiceng.party.points_selectors import Rules

from .bulk import FastInserter

AWARD_SHARE = 0.05


def build_points(*, seed: int = 20141101, today: date | None = None,
                 log: Callable[[str], None] = lambda s: None) -> int:
    """Insert the ledger; returns the number of entries."""
    today = today or timezone.localdate()
    year = today.year
    rules, last_rules = Rules.for_year(year), Rules.for_year(year - 1)
    if rules is None or last_rules is None:
        return 0
    members = {m: (org, path) for m, org, path in Member.objects.values_list("id", "org_id", "area_path")}
    rng = random.Random(seed + 11)
    now = timezone.now()
    so_far: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    entries = FastInserter(PointsEntry)

    def add(member_id: int, item: PointsItem, quantity: Decimal, on: date, source_kind: str, source_id: int,
            book: Rules) -> None:
        org_id, path = members[member_id]
        requested = item.points * quantity
        key = (member_id, item.code, on.year)
        room = max(item.yearly_cap - abs(so_far[key]), Decimal(0)) if item.yearly_cap is not None else None
        points = requested if room is None or abs(requested) <= room else (room if requested >= 0 else -room)
        so_far[key] += points
        entries.add({"id": entries.new_id(), "member_id": member_id, "org_id": org_id, "area_path": path,
                     "rulebook_id": book.rulebook.pk, "item_id": item.pk, "item_code": item.code, "year": on.year,
                     "occurred_on": on, "quantity": quantity, "weight": Decimal(1), "requested": requested,
                     "points": points, "capped": points != requested, "source_kind": source_kind,
                     "source_id": source_id, "reason": "", "posted_at": now})

    rows = (
        MeetingAttendance.objects.filter(present=True, meeting__state=MeetingState.APPROVED)
        .values_list("member_id", "meeting_id", "meeting__kind", "meeting__held_on")
        .order_by("meeting__held_on", "meeting_id")
        .iterator(chunk_size=20000)
    )
    for member_id, meeting_id, kind, held_on in rows:
        item = rules.item_for_source(SourceKind.MEETING, kind)
        if item is not None:
            add(member_id, item, Decimal(1), held_on, SourceKind.MEETING, meeting_id, rules)
    books = {year: rules, year - 1: last_rules}
    records = (ServiceClaim.objects.filter(state=ClaimState.CONFIRMED, served_on__year__gte=year - 1)
               .values_list("member_id", "pk", "served_on", "hours").order_by("served_on", "pk"))
    for member_id, claim_id, served_on, hours in records:
        book = books[served_on.year]
        add(member_id, book.item("service.record"), hours, served_on, SourceKind.SERVICE_RECORD, claim_id, book)
    award = rules.item("pioneer.governance")
    source = 0
    last_month = max(1, today.month - 1)
    for member_id in members:
        if rng.random() < AWARD_SHARE:
            source += 1
            add(member_id, award, Decimal(1), date(year, rng.randint(1, last_month), 10), SourceKind.MANUAL, source,
                rules)
    n = entries.finish()
    log(f"  {n:,} points entries")
    return n
