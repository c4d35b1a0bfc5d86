"""Invented residents: names, birth dates, ID numbers and phones, valid in form and unique.

ID numbers follow GB 11643: a Fuzhou region code (3501xx), a real birth date, a three-digit serial
whose last digit is odd for men and even for women, and the check character. Phones are 11-digit
mobile numbers on real prefixes. Both are encrypted, indexed and masked here exactly as the people
services do, so the demo's rows are indistinguishable from rows entered through the platform.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from jiceng.people import personal

from .names import BIRTH_REGIONS, GIVEN_ANY, GIVEN_FEMALE, GIVEN_MALE, MOBILE_PREFIXES, SURNAMES

_SURNAMES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]
_REGIONS = [r for r, _ in BIRTH_REGIONS]
_REGION_WEIGHTS = [w for _, w in BIRTH_REGIONS]
# Age pyramid of an old city centre, in bands of (lowest age, highest age, weight).
_AGE_BANDS = ((0, 15, 13), (16, 29, 16), (30, 44, 24), (45, 59, 23), (60, 74, 16), (75, 95, 8))


@dataclass
class PersonSpec:
    """One person to be inserted; `row` is filled by PeopleFactory.protect()."""

    building: int  # index into the build's building list
    name: str
    gender: str
    birth_date: date
    id_number: str
    phone: str  # "" for young children
    room: str
    row: dict = field(default_factory=dict)

    def age(self, today: date) -> int:
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class PeopleFactory:
    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self._ids: set[str] = set()
        self._phones: set[str] = set()

    def name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0]
        pool = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
        if rng.random() < 0.2:
            return surname + rng.choice(pool)
        first = rng.choice(GIVEN_ANY) if rng.random() < 0.4 else rng.choice(pool)
        return surname + first + rng.choice(pool)

    def birth_date(self, min_age: int = 0, max_age: int = 95) -> date:
        rng = self.rng
        bands = [(lo, hi, w) for lo, hi, w in _AGE_BANDS if hi >= min_age and lo <= max_age]
        lo, hi, _ = rng.choices(bands, [w for *_, w in bands])[0]
        age = rng.randint(max(lo, min_age), min(hi, max_age))
        return self.today - timedelta(days=age * 365 + rng.randint(1, 364))

    def id_number(self, birth: date, gender: str) -> str:
        rng = self.rng
        while True:
            region = rng.choices(_REGIONS, _REGION_WEIGHTS)[0]
            serial = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "male" else (0, 2, 4, 6, 8))
            first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
            if first17 not in self._ids:
                self._ids.add(first17)
                return first17 + personal.id_check_digit(first17)

    def phone(self) -> str:
        rng = self.rng
        while True:
            value = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if value not in self._phones:
                self._phones.add(value)
                return value

    def person(self, building: int, *, min_age: int = 0, max_age: int = 95, floors: int = 18) -> PersonSpec:
        rng = self.rng
        gender = "male" if rng.random() < 0.505 else "female"
        birth = self.birth_date(min_age, max_age)
        spec = PersonSpec(
            building=building,
            name=self.name(gender),
            gender=gender,
            birth_date=birth,
            id_number=self.id_number(birth, gender),
            phone="",
            room=f"{rng.randint(1, floors)}{rng.randint(1, 6):02d}",
        )
        if spec.age(self.today) >= 14 or rng.random() < 0.1:
            spec.phone = self.phone()
        return spec


def protected_fields(phone: str, id_number: str) -> dict:
    """The stored form of a phone and an ID number: ciphertext, blind index and mask, as
    jiceng.people.services.personal_fields makes them (the values are valid by construction)."""
    out = {
        "id_encrypted": personal.encrypt(id_number),
        "id_index": personal.blind_index(id_number, "id"),
        "id_masked": personal.mask_id_number(id_number),
    }
    out.update(protected_phone(phone))
    return out


def protected_phone(phone: str) -> dict:
    if not phone:
        return {"phone_encrypted": "", "phone_index": "", "phone_masked": ""}
    return {
        "phone_encrypted": personal.encrypt(phone),
        "phone_index": personal.blind_index(phone, "phone"),
        "phone_masked": personal.mask_phone(phone),
    }
