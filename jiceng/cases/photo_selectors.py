"""Reads of the photos kept with a case (CaseAttachment): for the case page, grouped by the event
each documents, and for the resident's private link.

Staff reach a photo through the case, so the case's scope is the photo's scope (case_get: out of
scope is 404 and logged). A resident, through the private link, sees the photos of their own report
and the photos the handler took of the work done (the "after" photo, as FixMyStreet shows the
council's update photos): with them the resident can judge the result before rating it. Photos of
other steps (a verifier's check, a note) stay with the staff.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from .case_models import Case
from .feedback_models import CaseAttachment
from .resident_models import ResidentLink
from .resident_services import followed_case

# What a list of photos needs, and nothing of the file's content.
_FIELDS = ("id", "case_id", "event_id", "name", "content_type", "size", "uploaded_at", "file")


def case_photos(case: Case) -> dict[int | None, list[CaseAttachment]]:
    """All the case's photos in one query, keyed by the id of the event they document (None for a
    photo tied to no event)."""
    by_event: dict[int | None, list[CaseAttachment]] = defaultdict(list)
    for a in CaseAttachment.objects.filter(case=case).only(*_FIELDS).order_by("uploaded_at", "id"):
        by_event[a.event_id].append(a)
    return dict(by_event)


def case_photo(case: Case, attachment_id: int) -> CaseAttachment | None:
    """One photo of a case the caller has already read through the user's scope."""
    return CaseAttachment.objects.filter(case=case, pk=attachment_id).first()


# The transitions whose photos a resident sees: their own report, and the work reported done.
RESIDENT_OWN = "report"
RESIDENT_AFTER = "handle"


def _resident_q(link: ResidentLink) -> Q:
    followed = followed_case(link.case)
    return (Q(case_id=link.case_id, event__transition=RESIDENT_OWN)
            | Q(case_id=followed.pk, event__transition=RESIDENT_AFTER))


def resident_photos(link: ResidentLink) -> QuerySet:
    """The photos the private link shows: the resident's own report's, then the handler's of the
    work done (of the case the report was merged into, if it was)."""
    return (CaseAttachment.objects.filter(_resident_q(link)).select_related("event")
            .only(*_FIELDS, "event__transition").order_by("uploaded_at", "id"))


def resident_photo(link: ResidentLink, attachment_id: int) -> CaseAttachment | None:
    return CaseAttachment.objects.filter(_resident_q(link), pk=attachment_id).first()
