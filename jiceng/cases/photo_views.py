"""Serving the photos kept with cases. Files under MEDIA_ROOT are never public: each is served here,
to staff through the case's scope, and to the resident through the private link.

Every answer carries the content type judged from the file's content at upload, is shown inline
(never run: nosniff), and is kept out of shared caches (a proxy must not hand one user's photo to
another); the resident's, reached by the token, is not stored at all, like the follow page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from . import case_selectors
from . import photo_selectors as sel
from .case_views import _require_view
from .feedback_models import CaseAttachment
from .resident_selectors import link_by_token

# Staff reopen a case page often; their own browser may keep its photos a few minutes.
STAFF_MAX_AGE = 300


def _file_response(attachment: CaseAttachment) -> HttpResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    # The stored name is the resident's or worker's own: let Django encode it (RFC 6266) inline.
    response = FileResponse(handle, content_type=attachment.content_type, as_attachment=False,
                            filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def case_photo(request: HttpRequest, number: str, attachment_id: str) -> HttpResponse:
    _require_view(request)
    case = case_selectors.case_get(request.user, number, request=request)
    attachment = sel.case_photo(case, int(attachment_id))
    if attachment is None:
        raise Http404
    response = _file_response(attachment)
    patch_cache_control(response, private=True, max_age=STAFF_MAX_AGE)
    return response


@require_GET
def resident_photo(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    link = link_by_token(token)
    attachment = sel.resident_photo(link, attachment_id) if link is not None else None
    if attachment is None:
        raise Http404
    response = _file_response(attachment)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
