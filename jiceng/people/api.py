"""People API (/api/v1/people). Masked values only, except the audited reveal.

Phone and ID numbers travel in request bodies, never in query strings, so they stay out of URLs
and access logs. Out of scope or lacking a permission is 404, as in the pages.
"""


from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import Field

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

from .models import Person
from .selectors import buildings_in_scope, people_search, person_for_self, person_get, person_home_chain, person_posts
from .services import person_create, person_reveal, person_update

router = Router(tags=["people"])


# --- schemas -------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    birth_year: int | None
    phone_masked: str
    id_masked: str
    community_id: int | None
    community_name: str
    home_id: int | None
    home_name: str
    room: str


class AreaRef(Schema):
    id: int
    kind: str
    code: str
    name: str


class MemberOut(Schema):
    org_id: int
    org_name: str
    category: str
    status: str
    joined_on: date | None
    full_on: date | None


class PositionOut(Schema):
    org_id: int
    org_name: str
    org_kind: str
    title: str
    is_part_time: bool
    source_unit: str
    term_start: date
    term_end: date
    ended_on: date | None


class UnitRoleOut(Schema):
    unit_id: int
    unit_name: str
    unit_kind: str
    title: str
    started_on: date | None
    ended_on: date | None


class PersonDetailOut(PersonOut):
    home_chain: list[AreaRef]
    member: MemberOut | None
    positions: list[PositionOut]
    unit_roles: list[UnitRoleOut]
    is_cross_appointed: bool
    cross_kinds: list[str]
    # Present only for readers with people.sensitive.
    sensitive_tags: list[str] | None = None


class PersonPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonOut]


class SearchIn(Schema):
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=32)
    id_number: str | None = Field(None, max_length=32)
    community_id: int | None = None


class PersonIn(Schema):
    name: str = ""
    phone: str = ""
    id_number: str = ""
    home_id: int | None = None
    room: str = ""
    gender: str = ""
    birth_date: date | None = None
    sensitive_tags: list[str] | None = None


class PersonPatch(Schema):
    """Only the fields sent change; an empty string or null clears phone, ID number or room."""

    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    home_id: int | None = None
    room: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    sensitive_tags: list[str] | None = None
    version: str | None = None


class RevealIn(Schema):
    field: str = ""
    reason: str = ""


class RevealOut(Schema):
    field: str
    value: str


class ErrorOut(Schema):
    detail: list[dict] | str


# --- helpers -------------------------------------------------------------------------------------


def _out(p: Person) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "gender": p.gender,
        "birth_year": p.birth_date.year if p.birth_date else None,
        "phone_masked": p.phone_masked,
        "id_masked": p.id_masked,
        "community_id": p.community_id,
        "community_name": p.community.name if p.community else "",
        "home_id": p.home_id,
        "home_name": p.home.name if p.home else "",
        "room": p.room,
    }


def _detail(request, p: Person) -> dict:
    posts = person_posts(p)
    member = posts["member"]
    out = _out(p)
    out.update(
        home_chain=[{"id": a.pk, "kind": a.kind, "code": a.code, "name": a.name} for a in person_home_chain(p)],
        member=(
            {
                "org_id": member.org_id,
                "org_name": member.org.name,
                "category": member.category,
                "status": member.status,
                "joined_on": member.joined_on,
                "full_on": member.full_on,
            }
            if member
            else None
        ),
        positions=[
            {
                "org_id": pos.org_id,
                "org_name": pos.org.name,
                "org_kind": pos.org.kind,
                "title": pos.title,
                "is_part_time": pos.is_part_time,
                "source_unit": pos.source_unit.name if pos.source_unit else "",
                "term_start": pos.term_start,
                "term_end": pos.term_end,
                "ended_on": pos.ended_on,
            }
            for pos in posts["positions"]
        ],
        unit_roles=[
            {
                "unit_id": r.unit_id,
                "unit_name": r.unit.name,
                "unit_kind": r.unit.kind,
                "title": r.title,
                "started_on": r.started_on,
                "ended_on": r.ended_on,
            }
            for r in posts["unit_roles"]
        ],
        is_cross_appointed=posts["is_cross_appointed"],
        cross_kinds=posts["cross_kinds"],
        sensitive_tags=list(p.sensitive_tags) if scope_for(request.user).allows(roles.VIEW_SENSITIVE) else None,
    )
    return out


def _field_errors(exc: DjangoValidationError) -> ValidationError:
    """A service's field-level errors in ninja's 422 shape; messages only, never the input."""
    errors = []
    for name, messages in exc.message_dict.items():
        loc = ["body", "payload"] + ([] if name == "__all__" else [name])
        errors.extend({"loc": loc, "msg": str(m), "type": "value_error"} for m in messages)
    return ValidationError(errors)


def _home(request, home_id: int | None):
    """The home building, looked up only inside the caller's scope; unknown and out of scope alike."""
    if home_id is None:
        return None
    home = buildings_in_scope(request.user).filter(pk=home_id).first()
    if home is None:
        raise DjangoValidationError({"home_id": [_choose_building()]})
    return home


def _choose_building() -> str:
    return _("Choose a building in your area.")


def _require(request, permission: str) -> None:
    if not scope_for(request.user).allows(permission):
        raise Http404


# --- endpoints -----------------------------------------------------------------------------------


@router.post("/search", response={200: PersonPage, 422: ErrorOut})
@sensitive_variables("payload", "sent", "kwargs", "value")
def search(request, payload: SearchIn, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    """Residents in scope by name (part of it), exact phone or exact ID number; a page of results."""
    _require(request, roles.VIEW_PEOPLE)
    try:
        qs = people_search(
            request.user,
            name=payload.name,
            phone=payload.phone,
            id_number=payload.id_number,
            community_id=payload.community_id,
        )
    except DjangoValidationError as exc:
        raise _field_errors(exc) from None
    items = [_out(p) for p in qs[offset : offset + limit]]
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": items}


@router.get("/me", response=PersonDetailOut)
def me(request):
    """The signed-in Party member's own record, membership and posts."""
    return _detail(request, person_for_self(request.user))


@router.get("/{person_id}", response=PersonDetailOut)
def detail(request, person_id: int):
    return _detail(request, person_get(request.user, person_id, request))


@router.post("/", response={201: PersonDetailOut, 422: ErrorOut})
@sensitive_variables("payload", "sent", "kwargs", "value")
def create(request, payload: PersonIn):
    _require(request, roles.CHANGE_PEOPLE)
    try:
        home = _home(request, payload.home_id)
        if home is None:
            raise DjangoValidationError({"home_id": [_choose_building()]})
        person = person_create(
            actor=request.user,
            name=payload.name,
            phone=payload.phone,
            id_number=payload.id_number,
            home=home,
            room=payload.room,
            gender=payload.gender,
            birth_date=payload.birth_date,
            sensitive_tags=payload.sensitive_tags,
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise _field_errors(exc) from None
    return 201, _detail(request, person_get(request.user, person.pk, request))


@router.patch("/{person_id}", response={200: PersonDetailOut, 422: ErrorOut})
@sensitive_variables("payload", "sent", "kwargs", "value")
def update(request, person_id: int, payload: PersonPatch):
    person = person_get(request.user, person_id, request)
    _require(request, roles.CHANGE_PEOPLE)
    sent = payload.dict(exclude_unset=True)
    kwargs: dict = {}
    for key in ("name", "gender", "birth_date", "sensitive_tags"):
        if key in sent and sent[key] is not None:
            kwargs[key] = sent[key]
    for key in ("phone", "id_number", "room"):
        if key in sent:
            kwargs[key] = sent[key] or ""
    try:
        if sent.get("home_id") is not None:
            kwargs["home"] = _home(request, sent["home_id"])
        person = person_update(
            actor=request.user,
            person=person,
            expected_version=sent.get("version"),
            request=request,
            **kwargs,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise _field_errors(exc) from None
    return 200, _detail(request, person_get(request.user, person.pk, request))


@router.post("/{person_id}/reveal", response={200: RevealOut, 422: ErrorOut})
@sensitive_variables("payload", "sent", "kwargs", "value")
def reveal(request, person_id: int, payload: RevealIn):
    """The full phone or ID number, for a permitted role with a reason; the reveal is audited."""
    person = person_get(request.user, person_id, request)
    _require(request, roles.REVEAL_PEOPLE)
    try:
        value = person_reveal(
            actor=request.user, person=person, field=payload.field, reason=payload.reason, request=request
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        raise _field_errors(exc) from None
    return 200, {"field": payload.field, "value": value}
