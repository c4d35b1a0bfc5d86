"""Forms for the units pages. They only parse input; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.areas.models import Area
from jiceng.party.forms import AreaChoiceField, AreaMultipleChoiceField, DateInput, PositionAssignForm, areas_in_scope

from .models import UnitKind


class UnitCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("Unified social credit code or internal code"))
    home_area = AreaChoiceField(label=_("Home area"), queryset=Area.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    areas_served = AreaMultipleChoiceField(
        label=_("Areas served"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Units sit in and serve areas down to the compound; thousands of buildings would only
        # bloat the select (the demo district has 4,859).
        areas = areas_in_scope(user, kinds=["district", "subdistrict", "community", "grid", "compound"])
        self.fields["home_area"].queryset = areas
        self.fields["areas_served"].queryset = areas


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    title = forms.CharField(label=_("Title"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )


class UnitRoleForm(forms.Form):
    id_number = PositionAssignForm.base_fields["id_number"]
    title = forms.CharField(label=_("Post"), max_length=50, help_text=_("e.g. chair, manager"))
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput())

    clean_id_number = PositionAssignForm.clean_id_number


class UnitRoleEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=DateInput())
