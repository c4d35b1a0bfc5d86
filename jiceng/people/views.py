"""People pages: search, a resident's page, editing, a member's own page.

No personal number ever stands in a URL: exact searches, creation and reveals are POSTed. Pages
that show personal data are never cached. Lacking a permission reads as not found (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate
from jiceng.web.forms import apply_service_errors

from .forms import ExactSearchForm, NameSearchForm, PersonForm, RevealForm
from .selectors import (
    CROSS_KIND_LABELS,
    buildings_in_scope,
    communities_in_scope,
    people_search,
    person_for_self,
    person_get,
    person_home_chain,
    person_posts,
)
from .sensitive import tag_labels
from .services import people_export, person_create, person_reveal, person_update, person_version, personal_fields

# An exact phone or ID number matches a handful of people (a family may share a phone).
EXACT_MAX = 100


@sensitive_variables("phone", "id_number")
def _number_errors(form: PersonForm) -> None:
    """When other fields are wrong, still check the numbers, so every error shows at once."""
    phone = form.data.get(form.add_prefix("phone")) or None
    id_number = form.data.get(form.add_prefix("id_number")) or None
    try:
        personal_fields(phone=phone, id_number=id_number)
    except ValidationError as exc:
        apply_service_errors(form, exc)


def _require(request: HttpRequest, permission: str):
    scope = scope_for(request.user)
    if not scope.allows(permission):
        raise Http404
    return scope


@sensitive_post_parameters("phone", "id_number")  # error reports show these as stars
@sensitive_variables("exact_results")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Find residents by name (GET), or by exact phone or ID number (POST); create one (POST)."""
    user = request.user
    scope = _require(request, roles.VIEW_PEOPLE)
    can_change = scope.allows(roles.CHANGE_PEOPLE)
    name_form = NameSearchForm(user, request.GET)
    # Three forms on one page: distinct element ids keep labels and htmx targets apart.
    exact_form = ExactSearchForm(auto_id="find_%s")
    create_form = PersonForm(user, auto_id="new_%s") if can_change else None
    exact_results = None

    if request.method == "POST":
        if request.POST.get("action") == "create":
            if not can_change:
                raise Http404
            create_form = PersonForm(user, request.POST, auto_id="new_%s")
            if create_form.is_valid():
                try:
                    person = person_create(actor=user, request=request, **create_form.service_kwargs())
                except PermissionDenied as exc:
                    raise Http404 from exc
                except ValidationError as exc:
                    apply_service_errors(create_form, exc)
                else:
                    messages.success(request, _("Resident %(name)s created.") % {"name": person.name})
                    return redirect("people:detail", pk=person.pk)
            else:
                _number_errors(create_form)
        else:
            exact_form = ExactSearchForm(request.POST, auto_id="find_%s")
            if exact_form.is_valid():
                try:
                    qs = people_search(
                        user, phone=exact_form.cleaned_data["phone"], id_number=exact_form.cleaned_data["id_number"]
                    )
                    exact_results = list(qs[:EXACT_MAX])
                except ValidationError as exc:
                    apply_service_errors(exact_form, exc)

    page = None
    name = community_id = None
    if exact_results is None:
        if name_form.is_valid():
            name = name_form.cleaned_data["name"]
            community = name_form.cleaned_data["community"]
            community_id = community.pk if community else None
            qs = people_search(user, name=name, community_id=community_id)
        else:
            qs = people_search(user).none()
        if request.GET.get("format") == "xlsx":
            try:
                headers, rows = people_export(actor=user, name=name, community_id=community_id, request=request)
            except PermissionDenied as exc:
                raise Http404 from exc
            return xlsx_response("residents", _("Residents"), headers, rows)
        page = paginate(request, qs)

    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "people/search.html",
        {
            "name_form": name_form,
            "exact_form": exact_form,
            "create_form": create_form,
            "exact_results": exact_results,
            "exact_max": EXACT_MAX,
            "page": page,
            "query": query.urlencode(),
            "can_export": scope.allows(roles.EXPORT),
        },
    )


@never_cache
@login_required
@require_GET
def buildings(request: HttpRequest) -> HttpResponse:
    """The building picker for a community (htmx fragment of the create and edit forms)."""
    _require(request, roles.CHANGE_PEOPLE)
    community = None
    raw = request.GET.get("community", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        community = communities_in_scope(request.user).filter(pk=int(raw)).first()
        if community is None:
            raise Http404
    options = buildings_in_scope(request.user, community) if community is not None else []
    return render(request, "people/_buildings.html", {"options": options})


def _detail_context(request: HttpRequest, person) -> dict:
    scope = scope_for(request.user)
    posts = person_posts(person)
    return {
        "person": person,
        "posts": posts,
        "cross_labels": [CROSS_KIND_LABELS[k] for k in posts["cross_kinds"]],
        "home_chain": person_home_chain(person),
        "show_sensitive": scope.allows(roles.VIEW_SENSITIVE),
        "sensitive_labels": tag_labels(person.sensitive_tags) if scope.allows(roles.VIEW_SENSITIVE) else [],
        "can_reveal": scope.allows(roles.REVEAL_PEOPLE),
        "can_change": scope.allows(roles.CHANGE_PEOPLE),
    }


@sensitive_variables("value", "revealed", "context")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident's page; a POST reveals one full number, once, on this response only."""
    person = person_get(request.user, pk, request)
    context = _detail_context(request, person)
    reveal_form = RevealForm() if context["can_reveal"] else None
    revealed = None
    status = 200
    if request.method == "POST":
        if not context["can_reveal"]:
            raise Http404
        reveal_form = RevealForm(request.POST)
        if reveal_form.is_valid():
            field = reveal_form.cleaned_data["field"]
            try:
                value = person_reveal(
                    actor=request.user,
                    person=person,
                    field=field,
                    reason=reveal_form.cleaned_data["reason"],
                    request=request,
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                apply_service_errors(reveal_form, exc)
            else:
                revealed = {"label": dict(reveal_form.fields["field"].choices)[field], "value": value}
                reveal_form = RevealForm()
        if not revealed:
            status = 400
    context.update(reveal_form=reveal_form, revealed=revealed)
    return render(request, "people/detail.html", context, status=status)


@sensitive_post_parameters("phone", "id_number")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(request.user, pk, request)
    _require(request, roles.CHANGE_PEOPLE)
    initial = {
        "name": person.name,
        "gender": person.gender,
        # With an ID number on record the birth date comes from it, and shown beside the ID mask it
        # would spell out the whole number: leave it out.
        "birth_date": None if person.id_index else person.birth_date,
        "community": person.community_id,
        "home": person.home_id,
        "room": person.room,
        "sensitive_tags": person.sensitive_tags,
        "version": person_version(person),
    }
    if request.method == "POST":
        form = PersonForm(request.user, request.POST, initial=initial, editing=True)
        if form.is_valid():
            try:
                person = person_update(actor=request.user, person=person, request=request, **form.service_kwargs())
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Resident %(name)s saved.") % {"name": person.name})
                return redirect("people:detail", pk=person.pk)
        else:
            _number_errors(form)
    else:
        form = PersonForm(request.user, initial=initial, editing=True)
    return render(request, "people/edit.html", {"person": person, "form": form})


@never_cache
@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """A Party member's own page: their record (masked), membership and posts."""
    _require(request, roles.VIEW_SELF)
    person = None
    if request.user.person_id:
        person = person_for_self(request.user)
    context = {"person": person}
    if person is not None:
        posts = person_posts(person)
        context.update(
            posts=posts,
            cross_labels=[CROSS_KIND_LABELS[k] for k in posts["cross_kinds"]],
            home_chain=person_home_chain(person),
        )
    return render(request, "people/me.html", context)
