"""Staff and grid-worker intake with photos: a report from a patrol carries what the worker saw.

case_services.case_report registers the case (permission, routing, audit); this adds the photos to its
report event in the same transaction, as resident_services does for residents, so a case never exists
without the photos it was sent with, nor photos without their case. Every problem is named on its
field at once (the photos' type, size and count with the report's own fields)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from jiceng.core.uploads import check_images

from . import case_services
from .attachments import attachments_add
from .case_models import Case


def case_intake(*, actor, photos: list[UploadedFile], request=None, **report) -> Case:
    """Report a case (the keyword arguments of case_services.case_report) with its photos."""
    errors: dict[str, list[str]] = {}
    try:
        check_images(photos)
    except ValidationError as exc:
        errors["photos"] = exc.messages
    with transaction.atomic():
        try:
            case = case_services.case_report(actor=actor, request=request, **report)
        except ValidationError as exc:
            raise ValidationError({**exc.message_dict, **errors}) from None
        if errors:
            raise ValidationError(errors)  # rolls the case back: nothing half-stored
        if photos:
            attachments_add(case=case, files=photos, actor=actor, event=case.events.order_by("seq").first())
    return case
