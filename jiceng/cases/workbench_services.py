"""Writes of the workbench: saved inbox views (a personal preference, still audited) and handling a
task with photos from a phone (the handle service and the attachment helper, in one transaction)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for

from . import case_services as svc
from .attachments import attachments_add
from .case_models import Case
from .workbench_models import SavedView

MAX_SAVED_VIEWS = 30


@transaction.atomic
def saved_view_save(*, actor, name: str, filters: dict[str, str], request=None) -> SavedView:
    """Keep the filters under `name` for the actor (a view of the same name is replaced). `filters`
    are the inbox's own, already validated (case_views.filters_from), as query-string values."""
    if not scope_for(actor).allows(roles.VIEW_ORG):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    if len(name) > 40:
        raise ValidationError({"name": [_("Use at most 40 characters.")]})
    mine = SavedView.objects.filter(user=actor)
    if not mine.filter(name=name).exists() and mine.count() >= MAX_SAVED_VIEWS:
        raise ValidationError({"name": [_("You can keep at most %(n)d views; delete one first.")
                                        % {"n": MAX_SAVED_VIEWS}]})
    view, _created = SavedView.objects.update_or_create(
        user=actor, name=name, defaults={"filters": filters, "created_at": timezone.now()})
    audit_record(actor=actor, action="cases.saved_view.save", obj=view, request=request,
                 changes={"name": name, "filters": filters})
    return view


@transaction.atomic
def saved_view_delete(*, actor, view: SavedView, request=None) -> None:
    if view.user_id != actor.pk:
        raise PermissionDenied
    audit_record(actor=actor, action="cases.saved_view.delete", obj=view, request=request,
                 changes={"name": view.name})
    view.delete()


@transaction.atomic
def case_handle_with_photos(*, actor, case: Case, expected_version: int, note: str,
                            photos: list[UploadedFile], request=None) -> Case:
    """Report the work done, with the photos that show it, tied to the handle event. A bad photo
    refuses the whole report: the case stays as it was."""
    case = svc.case_handle(actor=actor, case=case, expected_version=expected_version, note=note, request=request)
    if photos:
        event = case.events.order_by("-seq").first()
        attachments_add(case=case, files=photos, actor=actor, event=event)
    return case
