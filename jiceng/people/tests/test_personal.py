"""Validation, normalization, encryption and blind index of personal numbers."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from jiceng.people import personal
from jiceng.testing import make_id_number

GOOD_ID = make_id_number("19900307", 123)  # 350102 19900307 123 + check digit


def _message(exc: pytest.ExceptionInfo, lang: str = "en") -> str:
    # Messages are lazy: render them in the language asked for.
    with translation.override(lang):
        return " ".join(str(m) for m in exc.value.messages)


def test_id_number_check_digit_is_checked():
    wrong = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        personal.normalize_id_number(wrong)
    assert exc.value.error_list[0].code == "id_checksum"
    assert "check digit" in _message(exc)
    assert personal.normalize_id_number(GOOD_ID) == GOOD_ID


def test_lower_case_x_and_spaces_are_accepted():
    # Find a serial whose check character is X.
    for serial in range(1000):
        number = make_id_number("19850512", serial)
        if number.endswith("X"):
            break
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert personal.normalize_id_number(spaced) == number


@pytest.mark.parametrize("birth", ["19900230", "19901301", "18500101"])
def test_impossible_birth_date_is_refused(birth):
    first17 = f"350102{birth}123"
    number = first17 + personal.id_check_digit(first17)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        personal.normalize_id_number(number)
    assert exc.value.error_list[0].code == "id_birth"
    assert "birth date" in _message(exc)


def test_future_birth_date_is_refused():
    year = date.today().year + 1
    first17 = f"350102{year}0101123"
    number = first17 + personal.id_check_digit(first17)
    with pytest.raises(ValidationError) as exc:
        personal.normalize_id_number(number)
    assert exc.value.error_list[0].code == "id_birth"


def test_short_id_number_is_refused():
    with pytest.raises(ValidationError) as exc:
        personal.normalize_id_number("35010219900307")
    assert exc.value.error_list[0].code == "id_format"


def test_id_error_message_is_in_the_users_language():
    with pytest.raises(ValidationError) as exc:
        personal.normalize_id_number("35010219900307")
    chinese, english = _message(exc, "zh-hans"), _message(exc, "en")
    assert chinese != english and "18" in english
    # Neither message names any part of the number.
    assert "350102" not in chinese and "350102" not in english


@pytest.mark.parametrize(
    "raw", ["13912345678", "+86 139 1234 5678", "+8613912345678", "0086 139-1234-5678", " 139 1234 5678 "]
)
def test_phone_normalization(raw):
    assert personal.normalize_phone(raw) == "13912345678"


@pytest.mark.parametrize("raw", ["0591-87654321", "059187654321", "12345", "1391234567", "+1 415 555 0100", "abc"])
def test_landlines_and_junk_are_refused(raw):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        personal.normalize_phone(raw)
    assert "11 digits" in _message(exc)
    assert exc.value.error_list[0].code == "invalid_phone"


def test_encryption_round_trip_and_fresh_ciphertexts():
    a = personal.encrypt("13912345678")
    b = personal.encrypt("13912345678")
    assert a != b  # a fresh nonce each time: equal values do not look equal at rest
    assert personal.decrypt(a) == personal.decrypt(b) == "13912345678"
    assert "13912345678" not in a


def test_blind_index_is_stable_and_keyed_by_kind():
    assert personal.blind_index("13912345678", "phone") == personal.blind_index("13912345678", "phone")
    assert personal.blind_index("13912345678", "phone") != personal.blind_index("13912345679", "phone")
    assert personal.blind_index("13912345678", "phone") != personal.blind_index("13912345678", "id")
    assert "13912345678" not in personal.blind_index("13912345678", "phone")


def test_masks():
    assert personal.mask_phone("13912345678") == "139****5678"
    assert personal.mask_id_number(GOOD_ID) == GOOD_ID[:6] + "********" + GOOD_ID[-4:]
