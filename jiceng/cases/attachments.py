"""Keeping photos with a case. Called inside the services that take photos (intake, handling,
check-in reports), so the files and the event they document land in the same transaction."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from jiceng.core.uploads import check_images

from .case_models import Case, CaseEvent
from .feedback_models import CaseAttachment


def attachments_add(*, case: Case, files: list[UploadedFile], actor=None,
                    event: CaseEvent | None = None) -> list[CaseAttachment]:
    """Check every file (type by content, size, count), then store them all; raises ValidationError
    naming the bad files and stores none."""
    types = check_images(files)
    now = timezone.now()
    saved = []
    for upload, content_type in zip(files, types, strict=True):
        saved.append(CaseAttachment.objects.create(
            case=case, event=event, file=upload, name=(upload.name or "photo")[-120:],
            content_type=content_type, size=upload.size or 0, uploaded_by=actor, uploaded_at=now,
        ))
    return saved
