"""Writes to the area tree. Each service checks permission and scope and audits in its transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for

from .models import CHILD_KIND, CODE_LENGTH, Area, AreaKind


def _check_code(kind: str, code: str, parent: Area | None) -> None:
    if not code.isdigit() or len(code) != CODE_LENGTH[kind]:
        raise ValidationError(
            {
                "code": _("A %(kind)s code has %(n)d digits.")
                % {"kind": AreaKind(kind).label, "n": CODE_LENGTH[kind]}
            }
        )
    if parent is not None and not code.startswith(parent.code):
        raise ValidationError(
            {"code": _("The code must start with the parent's code %(code)s.") % {"code": parent.code}}
        )


def area_create(
    *,
    actor,
    parent: Area | None,
    kind: str,
    code: str,
    name: str,
    population: int = 0,
    households: int = 0,
    geometry: dict | None = None,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    audit: bool = True,
) -> Area:
    """Create an area under `parent` (a district when parent is None).

    `actor=None` is the system itself (demo builder, migrations); everyone else needs
    `org.change` on the parent's subtree, and only a district administrator creates districts.
    """
    if actor is not None:
        scope = scope_for(actor)
        if not scope.allows(roles.CHANGE_ORG):
            raise PermissionDenied
        if parent is None and roles.Role.DISTRICT_ADMIN not in scope.roles:
            raise PermissionDenied
        if parent is not None and not scope.covers_path(parent.path):
            raise PermissionDenied
    if parent is None and kind != AreaKind.DISTRICT:
        raise ValidationError({"kind": _("Only a district stands at the top of the tree.")})
    if parent is not None and CHILD_KIND.get(parent.kind) != kind:
        raise ValidationError(
            {
                "kind": _("A %(child)s cannot stand under a %(parent)s.")
                % {"child": AreaKind(kind).label, "parent": AreaKind(parent.kind).label}
            }
        )
    _check_code(kind, code, parent)
    if Area.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An area with code %(code)s already exists.") % {"code": code}})
    fields = dict(
        kind=kind,
        code=code,
        name=name,
        population=population,
        households=households,
        geometry=geometry,
        lat=lat,
        lng=lng,
        address=address,
    )
    with transaction.atomic():
        area = (
            Area.objects.add_root(fields)
            if parent is None
            else Area.objects.add_child(Area.objects.get(pk=parent.pk), fields)
        )
        if audit:
            audit_record(
                actor=actor,
                action="area.create",
                obj=area,
                changes={"kind": kind, "code": code, "name": name},
            )
    return area
