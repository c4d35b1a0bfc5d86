"""Case photos. Staff read a photo through the case: the area roles over grid A1 and the unit the case
is dispatched to; everyone else meets 404. The resident's copy is reached by the private link alone
(public: every persona and a visitor without an account, holding the token, see it)."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils import timezone

from jiceng.testing import PERSONAS, AccessCase

TOKEN = "access-matrix-photo-link-token-0002"
NUMBER = "GL2026010199002"
READERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")
NO_READ = ("community_b", "member", "auditor", "sysadmin")
# One small file under MEDIA_ROOT (the run's own, conftest.media_root), written once and reused by
# every persona's request.
FILE_NAME = "cases/access-matrix/photo.png"


def _photo(d) -> int:
    """The report photo of a resident's case in grid A1, dispatched to the department."""
    from django.core.files.storage import default_storage
    from PIL import Image

    from jiceng.cases.models import Case, CaseAttachment, Category, ResidentLink
    from jiceng.cases.resident_services import token_hash
    from jiceng.people.services import area_chain

    found = CaseAttachment.objects.filter(case__number=NUMBER).first()
    if found is not None:
        return found.pk
    if not default_storage.exists(FILE_NAME):
        buf = io.BytesIO()
        Image.new("RGB", (4, 4), (0, 90, 200)).save(buf, "PNG")
        buf.seek(0)
        default_storage.save(FILE_NAME, buf)
    cat = Category.objects.filter(code="PHO1").first() or Category.objects.add_root({"code": "PHO1", "name": "照片"})
    now = timezone.now()
    case = Case.objects.create(number=NUMBER, channel="resident_app", category=cat, title="t", description="t",
                               state="dispatched", unit=d.department, building=d.a.building, created_at=now,
                               **area_chain(d.a.building))
    event = case.events.create(seq=1, at=now, transition="report", from_state="", to_state="registered")
    ResidentLink.objects.create(case=case, token_hash=token_hash(TOKEN), created_at=now)
    return CaseAttachment.objects.create(case=case, event=event, file=FILE_NAME, name="photo.png",
                                         content_type="image/png", size=default_storage.size(FILE_NAME),
                                         uploaded_at=now).pk


CASES = [
    AccessCase("cases:case_photo", url=lambda d: reverse("cases:case_photo", args=[NUMBER, _photo(d)]),
               allowed=READERS, denied=NO_READ),
    AccessCase("resident:photo", url=lambda d: reverse("resident:photo", args=[TOKEN, _photo(d)]),
               allowed=PERSONAS, denied=(), public=True),
]
