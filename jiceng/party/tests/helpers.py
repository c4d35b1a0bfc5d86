"""Builders shared by the Party and units tests (not collected as tests)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from jiceng.party.models import Member, MemberCategory, Position, PositionTitle
from jiceng.people.models import Person
from jiceng.people.services import person_create
from jiceng.testing import make_id_number


def today() -> date:
    return timezone.localdate()


def residents(building, n: int, start: int = 100, name: str = "居民") -> list[Person]:
    """`n` residents of a building, with valid distinct phone and ID numbers."""
    return [
        person_create(
            actor=None,
            name=f"{name}{i:03d}",
            phone=f"1390000{i:04d}",
            id_number=make_id_number("19850101", i % 1000),
            home=building,
        )
        for i in range(start, start + n)
    ]


def members(org, people, category: str = MemberCategory.COMMUNITY_RESIDENT) -> list[Member]:
    return [
        Member.objects.create(person=p, org=org, area_path=org.area_path, category=category) for p in people
    ]


def position(org, person, *, days_left: int, title: str = PositionTitle.COMMITTEE_MEMBER, **extra) -> Position:
    """A current post whose term ends `days_left` days from today (negative: overdue)."""
    end = today() + timedelta(days=days_left)
    return Position.objects.create(
        org=org, person=person, title=title, term_start=end - timedelta(days=5 * 365), term_end=end, **extra
    )
