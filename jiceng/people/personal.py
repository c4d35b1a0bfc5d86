"""Personal numbers: validation, normalization, encryption at rest, blind index and masking.

Phone and ID numbers are stored only as AES-GCM ciphertext plus a keyed hash (HMAC-SHA256, the
"blind index") that lets us find a person by the exact value without storing it. Both keys are
derived from JICENG_FIELD_ENCRYPTION_KEY with HKDF, so one secret in the environment drives both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import date
from functools import lru_cache

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

_VERSION = b"v1"


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    raw = base64.urlsafe_b64decode(master.encode() + b"=" * (-len(master) % 4))
    if len(raw) < 32:
        raise ValueError("JICENG_FIELD_ENCRYPTION_KEY must decode to at least 32 bytes")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)

    return derive(b"jiceng field encryption"), derive(b"jiceng blind index")


def encrypt(value: str) -> str:
    """Encrypt a normalized value; a fresh nonce each time, so equal values differ at rest."""
    enc_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, value.encode(), _VERSION)
    return (_VERSION + b":" + base64.b64encode(nonce + sealed)).decode()


def decrypt(token: str) -> str:
    enc_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    version, _, body = token.encode().partition(b":")
    blob = base64.b64decode(body)
    return AESGCM(enc_key).decrypt(blob[:12], blob[12:], version).decode()


def blind_index(value: str, kind: str) -> str:
    """Keyed hash of a normalized value; `kind` keeps phones and IDs in separate spaces."""
    _, idx_key = _keys(settings.FIELD_ENCRYPTION_KEY)
    return hmac.new(idx_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def normalize_phone(raw: str) -> str:
    """Return the 11-digit mainland mobile number, accepting +86, 0086, spaces and dashes."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Enter a valid mobile phone number of 11 digits."), code="invalid_phone"
        ) from exc
    national = str(parsed.national_number)
    if (
        parsed.country_code != 86
        or len(national) != 11
        or not national.startswith("1")
        or phonenumbers.number_type(parsed)
        not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    ):
        raise ValidationError(_("Enter a valid mobile phone number of 11 digits."), code="invalid_phone")
    return national


# GB/T 2260 province-level codes. The full county list changes every year and old numbers keep
# old codes, so we check the province and leave the county to the registry that issued it
# (python-stdnum's own region table lacks, for example, 350102 鼓楼区).
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def normalize_id_number(raw: str) -> str:
    """Check an 18-character resident ID number (GB 11643): region, real birth date, check digit."""
    # People copy numbers with spaces or dashes between the groups; stdnum keeps inner spaces.
    value = "".join(ric.compact(raw or "").replace("-", " ").split())
    if len(value) != 18 or not value[:17].isdigit():
        raise ValidationError(_("Enter an ID number of 18 characters."), code="id_format")
    if value[-1] != ric.calc_check_digit(value):
        raise ValidationError(_("The ID number's check digit is wrong."), code="id_checksum")
    try:
        born = ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        born = None
    if born is None or born > date.today() or born.year < 1900:
        raise ValidationError(_("The ID number does not contain a real birth date."), code="id_birth")
    if value[:2] not in _PROVINCES:
        raise ValidationError(_("The ID number does not start with a real region code."), code="id_region")
    return value


def id_birth_date(value: str) -> date:
    return ric.get_birth_date(value)


def id_gender(value: str) -> str:
    """GB 11643: the 17th digit is odd for men and even for women."""
    return "male" if int(value[16]) % 2 else "female"


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) == 11 else "****"


def mask_id_number(value: str) -> str:
    return f"{value[:6]}********{value[-4:]}" if len(value) == 18 else "****"


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for 17 digits; used by the demo generator and tests."""
    return ric.calc_check_digit(first17 + "0")  # stdnum expects the number with a check slot
