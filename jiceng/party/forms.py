"""Forms for the Party pages. They only parse input; the rules live in services.py."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.scope import scope_q
from jiceng.areas.models import Area
from jiceng.people import personal
from jiceng.people.models import Person
from jiceng.units.models import Unit

from .models import MemberCategory, MemberStatus, OrgKind, PartyOrg, PositionTitle
from .services import PARENT_KINDS


def areas_in_scope(user, kinds: list[str] | None = None) -> QuerySet[Area]:
    qs = Area.objects.filter(scope_q(user, "path"))
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.only("id", "name", "code", "depth", "path", "kind").order_by("path")


class AreaChoiceField(forms.ModelChoiceField):
    """Areas shown indented by depth, so the select reads as the tree."""

    def label_from_instance(self, obj: Area) -> str:
        return f"{'　' * (obj.depth - 1)}{obj.name} ({obj.code})"


class AreaMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{'　' * (obj.depth - 1)}{obj.name} ({obj.code})"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OrgCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    name = forms.CharField(label=_("Name"), max_length=120)
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("Unique, e.g. P + the area code"))
    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("For a unit's own Party organization"),
    )
    founded_on = forms.DateField(label=_("Founded on"), required=False, widget=DateInput())

    def __init__(self, *args, user, parent: PartyOrg, units: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label) for value, label in OrgKind.choices if parent.kind in PARENT_KINDS[value]
        ]
        self.fields["area"].queryset = areas_in_scope(user)
        self.fields["unit"].queryset = units


class PositionAssignForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number of the person"),
        max_length=24,
        help_text=_("The person must be registered as a resident; found by exact ID number."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    title = forms.ChoiceField(label=_("Title"), choices=PositionTitle.choices)
    term_start = forms.DateField(label=_("Term start"), widget=DateInput())
    term_end = forms.DateField(label=_("Re-election due"), widget=DateInput())
    is_part_time = forms.BooleanField(label=_("Part-time member"), required=False)
    source_unit = forms.ModelChoiceField(
        label=_("From unit"), queryset=Unit.objects.none(), required=False
    )

    def __init__(self, *args, units: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_unit"].queryset = units

    def clean_id_number(self) -> Person:
        """Resolve the person by the blind index of the exact ID number; the number itself is not kept."""
        try:
            value = personal.normalize_id_number(self.cleaned_data["id_number"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        person = Person.objects.filter(id_index=personal.blind_index(value, "id")).first()
        if person is None:
            raise ValidationError(_("No resident has this ID number; register the person first."))
        return person


def default_term_end(kind: str, start: date | None = None) -> date:
    """Committees serve five years, branches and groups three (Party branch work regulations)."""
    start = start or timezone.localdate()
    years = 5 if kind in (OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE) else 3
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


class PositionEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All"))] + list(MemberCategory.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(MemberStatus.choices)
    )


class MemberCreateForm(forms.Form):
    id_number = PositionAssignForm.base_fields["id_number"]
    category = forms.ChoiceField(label=_("Category"), choices=MemberCategory.choices)
    status = forms.ChoiceField(label=_("Status"), choices=MemberStatus.choices, initial=MemberStatus.FULL)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DateInput())
    full_on = forms.DateField(
        label=_("Full membership on"), required=False, widget=DateInput(), help_text=_("Only for full members")
    )

    clean_id_number = PositionAssignForm.clean_id_number


class OrgEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("For a unit's own Party organization"),
    )
    founded_on = forms.DateField(label=_("Founded on"), required=False, widget=DateInput())

    def __init__(self, *args, units: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
