"""Upload checks shared by every form and API that takes a file (photos of cases, service records,
check-in reports). A file is judged by its content, not by its name or the browser's claim."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# The image formats a phone or a camera produces, and the content type each is served with.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PHOTOS = 6


def max_upload_bytes() -> int:
    return getattr(settings, "JICENG_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


def check_image(upload: UploadedFile) -> str:
    """Return the content type of an acceptable photo, or raise ValidationError saying what is wrong:
    too large, not an image, or an image format we do not take. Leaves the file at its start."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d MB at most).") % {"size": limit // (1024 * 1024)}, code="too_large"
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()  # reads the whole structure: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("This file is not a photo we can read."), code="not_image") from None
    finally:
        upload.seek(0)
    if kind not in IMAGE_TYPES:
        raise ValidationError(_("Send a JPEG, PNG or WebP photo."), code="bad_type")
    return IMAGE_TYPES[kind]


def check_images(uploads: list[UploadedFile]) -> list[str]:
    """Check several photos at once; errors name the file so the user knows which to replace."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many")
    types, errors = [], []
    for upload in uploads:
        try:
            types.append(check_image(upload))
        except ValidationError as exc:
            errors.append(f"{upload.name}: {exc.messages[0]}")
    if errors:
        raise ValidationError(errors)
    return types


def _looks_like_pdf(upload: UploadedFile) -> bool:
    """A PDF starts with its header and ends with an end-of-file marker (within the last kilobyte)."""
    try:
        upload.seek(0)
        head = upload.read(5)
        size = upload.size or 0
        upload.seek(max(0, size - 1024))
        tail = upload.read()
    finally:
        upload.seek(0)
    return head == b"%PDF-" and b"%%EOF" in tail


def check_document(upload: UploadedFile) -> str:
    """Return the content type of an acceptable record attachment: a photo (as `check_image`) or a PDF,
    judged by content; raise ValidationError saying what is wrong otherwise."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d MB at most).") % {"size": limit // (1024 * 1024)}, code="too_large"
        )
    if _looks_like_pdf(upload):
        return "application/pdf"
    try:
        return check_image(upload)
    except ValidationError as exc:
        if exc.code == "too_large":
            raise
        raise ValidationError(_("Send a PDF, or a JPEG, PNG or WebP photo."), code="bad_type") from None
