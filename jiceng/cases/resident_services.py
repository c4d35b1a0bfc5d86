"""Writes of the residents' channel (no account): a report from a phone, and the rating through the
case's private link.

Intake shares case_report's validation, routing and numbering (actor None, channel resident_app);
this module adds what only residents need: the rate limits, the photos in the same transaction, and
the private link (an unguessable token of which only the hash is stored).

Rate limits (Django's cache; Redis in production, so every app server counts together), on accepted
reports only:
    per client address  RESIDENT_REPORTS_PER_ADDRESS (20) per hour
    per phone number    RESIDENT_REPORTS_PER_PHONE (5) per 24 hours
Both can be changed in settings (JICENG_RESIDENT_REPORTS_PER_ADDRESS / _PER_PHONE). Cache keys
hold keyed hashes (the blind index), never the address or the phone number.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts.audit import audit_record
from jiceng.areas import geo
from jiceng.areas.models import Area
from jiceng.core.uploads import check_images
from jiceng.notify.services import notify
from jiceng.people import personal

from . import case_services
from .attachments import attachments_add
from .case_models import Case, CaseChannel, CaseState
from .case_notices import staff_over
from .feedback_models import CaseFeedback, FeedbackSource, Satisfaction
from .models import Category, Urgency
from .resident_models import ResidentLink

ADDRESS_WINDOW = timedelta(hours=1)
PHONE_WINDOW = timedelta(hours=24)
# States in which the work is reported done, so the resident has something to rate.
RATEABLE = frozenset({CaseState.HANDLED, CaseState.VERIFIED, CaseState.CLOSED})


def limits() -> tuple[int, int]:
    """(reports per client address per hour, reports per phone number per 24 hours)."""
    return settings.RESIDENT_REPORTS_PER_ADDRESS, settings.RESIDENT_REPORTS_PER_PHONE


class RateLimited(Exception):
    """Too many reports from this address or this phone number; nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _window_key(kind: str, value: str, window: timedelta) -> str:
    # A fixed window: the counter's key names the window it counts, so it expires with it.
    slot = int(timezone.now().timestamp() // window.total_seconds())
    return f"resident-rate:{kind}:{personal.blind_index(value, 'rate-' + kind)}:{slot}"


def _rate_keys(client_ip: str, phone: str) -> list[tuple[str, int, timedelta, str]]:
    per_address, per_phone = limits()
    keys = []
    if client_ip:
        keys.append((_window_key("ip", client_ip, ADDRESS_WINDOW), per_address, ADDRESS_WINDOW, "ip"))
    if phone:
        keys.append((_window_key("phone", phone, PHONE_WINDOW), per_phone, PHONE_WINDOW, "phone"))
    return keys


def _rate_check(keys) -> None:
    for key, limit, _window, kind in keys:
        if (cache.get(key) or 0) >= limit:
            if kind == "ip":
                raise RateLimited(_("Too many reports from this network in the last hour (%(n)d at most). "
                                    "Please try again later, or call 12345.") % {"n": limit})
            raise RateLimited(_("Too many reports from this phone number today (%(n)d at most). "
                                "Please try again tomorrow, or call 12345.") % {"n": limit})


def _rate_count(keys) -> None:
    for key, _limit, window, _kind in keys:
        cache.add(key, 0, timeout=int(window.total_seconds()))
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=int(window.total_seconds()))


@dataclass(frozen=True)
class ResidentReceipt:
    case: Case
    token: str  # shown once to the resident; only its hash is stored


def _resident_urgency(category: Category) -> str:
    levels = category.urgency_levels or []
    return Urgency.NORMAL if not levels or Urgency.NORMAL in levels else levels[0]


@sensitive_variables("reporter_phone", "phone")
def resident_report(
    *,
    category: Category | None,
    description: str,
    photos: list[UploadedFile],
    reporter_phone: str,
    reporter_name: str = "",
    lat: float | None = None,
    lng: float | None = None,
    crs: str = geo.WGS84,
    place: Area | None = None,
    address: str = "",
    client_ip: str = "",
    request=None,
) -> ResidentReceipt:
    """Take a resident's report: check the rate limits, then case_report (actor None, channel
    resident_app) with the photos and the private link in the same transaction. Raises RateLimited
    or ValidationError (every field's problem at once); nothing is stored in either case."""
    errors: dict[str, list[str]] = {}
    phone = ""
    if not (reporter_phone or "").strip():
        errors["reporter_phone"] = [_("Give a phone number so that we can call you back.")]
    else:
        try:
            phone = personal.normalize_phone(reporter_phone)
        except ValidationError:
            phone = ""  # case_report names the problem on the field
    keys = _rate_keys(client_ip, phone)
    _rate_check(keys)
    if category is None:
        errors["category"] = [_("Choose what the problem is.")]
    if place is None and lat is None and not (address or "").strip():
        errors["lat"] = [_("Give the place: share your location, scan the building's code, or write the address.")]
    try:
        check_images(photos)
    except ValidationError as exc:
        errors["photos"] = exc.messages
    if category is None:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            case = case_services.case_report(
                actor=None, channel=CaseChannel.RESIDENT_APP, category=category, description=description,
                lat=None if place else lat, lng=None if place else lng, crs=crs, building=place,
                reporter_name=reporter_name, reporter_phone=reporter_phone, urgency=_resident_urgency(category),
                address=address, request=request,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
            raise ValidationError(errors) from None
        if errors:
            raise ValidationError(errors)
        if photos:
            attachments_add(case=case, files=photos, event=case.events.order_by("seq").first())
        token = secrets.token_urlsafe(24)
        ResidentLink.objects.create(case=case, token_hash=token_hash(token), created_at=case.created_at)
    _rate_count(keys)
    return ResidentReceipt(case=case, token=token)


@dataclass(frozen=True)
class RatingResult:
    feedback: CaseFeedback
    reopened: bool


def followed_case(case: Case) -> Case:
    """The case whose progress a link shows: its own, or the one it was merged into (to the end of
    the chain, should that case have been merged in turn)."""
    seen = {case.pk}
    while case.merged_into_id is not None and case.merged_into_id not in seen:
        case = Case.objects.select_related("category").get(pk=case.merged_into_id)
        seen.add(case.pk)
    return case


def resident_rate(*, link: ResidentLink, rating: str, comment: str = "", resolved: bool | None = None,
                  request=None) -> RatingResult:
    """The resident rates the work through the private link (once per round of work), and may say
    whether the problem is solved (the resolution rate counts only answers). Unsatisfied
    on a closed case within workflow.REOPEN_WINDOW_DAYS reopens it; otherwise the rating is kept and
    the area's staff are told."""
    comment = (comment or "").strip()[:1000]
    if rating not in Satisfaction.values:
        raise ValidationError({"rating": [_("Choose how satisfied you are.")]})
    with transaction.atomic():
        locked = ResidentLink.objects.select_for_update().select_related("case").get(pk=link.pk)
        case = followed_case(locked.case)
        if case.state not in RATEABLE:
            raise ValidationError({"rating": [_("You can rate once the work is reported done.")]})
        last_change = case.events.order_by("-seq").values_list("at", flat=True).first()
        if locked.rated_at is not None and last_change is not None and locked.rated_at >= last_change:
            raise ValidationError({"rating": [_("You have already rated this; thank you.")]})
        now = timezone.now()
        feedback = CaseFeedback.objects.create(case=case, source=FeedbackSource.RESIDENT, rating=rating,
                                               resolved=resolved, comment=comment, reached=True, actor=None,
                                               at=now)
        locked.rated_at = now
        locked.save(update_fields=["rated_at"])
        audit_record(actor=None, action="case.resident_rate", obj=case, request=request,
                     changes={"number": case.number, "rating": rating, "resolved": resolved})
        reopened = False
        if rating == Satisfaction.UNSATISFIED:
            if case.state == CaseState.CLOSED:
                # case_reopen applies the policy (the window since closing); refused, or beaten by a
                # staff action a moment ago, the rating stays recorded and the staff are told.
                try:
                    case_services.case_reopen(
                        actor=None, case=case, expected_version=case.version, by_resident=True, request=request,
                        note=_("The resident is not satisfied.") + (f" {comment}" if comment else ""))
                    reopened = True
                except case_services.ConflictError:
                    reopened = False
            number = {"number": case.number}
            title = (_("Case %(number)s reopened: the resident is not satisfied") % number if reopened
                     else _("Case %(number)s: the resident is not satisfied") % number)
            notify(users=staff_over(case), kind="case.unsatisfied", title=title, body=comment,
                   url=reverse("cases:case", args=[case.number]))
    return RatingResult(feedback=feedback, reopened=reopened)
