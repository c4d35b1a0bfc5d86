"""Forms for the people pages. They parse input only; checks of phone and ID numbers live in the
services, whose field-level errors the views put back on these forms (`apply_errors`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area

from .models import Gender
from .selectors import buildings_in_scope, communities_in_scope
from .sensitive import SensitiveTag

# Browsers must not remember personal numbers typed into these fields.
_PRIVATE = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class NameSearchForm(forms.Form):
    """Search by name; sent by GET (a name is not a personal number and may stand in a URL)."""

    name = forms.CharField(label=_("Full name"), required=False, max_length=50)
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Area.objects.none(), required=False, empty_label=_("All communities")
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_in_scope(user)


class ExactSearchForm(forms.Form):
    """Search by an exact phone or ID number; sent by POST so the value never enters a URL."""

    phone = forms.CharField(label=_("Phone"), required=False, max_length=32, widget=forms.TextInput(attrs=_PRIVATE))
    id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=32, widget=forms.TextInput(attrs=_PRIVATE)
    )

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("id_number"):
            raise ValidationError(_("Enter a phone number or an ID number."))
        return data


class PersonForm(forms.Form):
    """Create or edit a resident. The home is a building picked within a community of the user's
    scope; the building list follows the chosen community (htmx), so it stays short at any scale."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32, widget=forms.TextInput(attrs=_PRIVATE))
    id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=32, widget=forms.TextInput(attrs=_PRIVATE)
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", "---------"), *Gender.choices],
        help_text=_("Taken from the ID number when one is given."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Taken from the ID number when one is given."),
    )
    community = forms.ModelChoiceField(label=_("Community"), queryset=Area.objects.none(), required=False)
    home = forms.ModelChoiceField(label=_("Building"), queryset=Area.objects.none())
    room = forms.CharField(label=_("Room"), required=False, max_length=20)
    sensitive_tags = forms.MultipleChoiceField(
        label=_("Sensitive tags"),
        required=False,
        choices=SensitiveTag.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, user, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        communities = communities_in_scope(user)
        self.fields["community"].queryset = communities
        community = self._chosen_community(communities)
        if community is None and self.fields["community"].initial is None:
            # A user whose scope is one community needs no community choice.
            only = list(communities[:2])
            if len(only) == 1:
                community = only[0]
                self.initial.setdefault("community", community.pk)
        self.fields["home"].queryset = buildings_in_scope(user, community)
        if community is None and communities.exists():
            self.fields["home"].queryset = Area.objects.none()
        # Choosing a community reloads the building options (people:buildings) in place.
        home_id = self["home"].auto_id
        self.fields["community"].widget.attrs.update(
            {"hx-get": reverse("people:buildings"), "hx-target": f"#{home_id}", "hx-swap": "innerHTML"}
        )
        if not scope_for(user).allows(roles.VIEW_SENSITIVE):
            del self.fields["sensitive_tags"]
        if editing:
            keep = _("Leave empty to keep the recorded number.")
            self.fields["phone"].help_text = keep
            self.fields["id_number"].help_text = keep
            self.fields["clear_phone"] = forms.BooleanField(label=_("Remove the phone number"), required=False)
            self.fields["clear_id_number"] = forms.BooleanField(label=_("Remove the ID number"), required=False)
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.order_fields(["name", "phone", "clear_phone", "id_number", "clear_id_number", "gender", "birth_date"])

    def _chosen_community(self, communities) -> Area | None:
        raw = self.data.get(self.add_prefix("community")) if self.is_bound else self.initial.get("community")
        if not raw:
            return None
        try:
            return communities.filter(pk=int(getattr(raw, "pk", raw))).first()
        except (TypeError, ValueError):
            return None

    def service_kwargs(self) -> dict:
        """The cleaned values as the person_create / person_update services take them."""
        data = self.cleaned_data
        out = {
            "name": data["name"],
            "home": data["home"],
            "room": data.get("room") or "",
            "gender": data.get("gender") or "",
            "birth_date": data.get("birth_date"),
        }
        if "sensitive_tags" in self.fields:
            out["sensitive_tags"] = list(data.get("sensitive_tags") or [])
        if self.editing:
            # Empty keeps the number on record; the box removes it.
            out["phone"] = "" if data.get("clear_phone") else (data.get("phone") or None)
            out["id_number"] = "" if data.get("clear_id_number") else (data.get("id_number") or None)
            out["expected_version"] = data.get("version") or None
            if not out["gender"]:
                out["gender"] = None
        else:
            out["phone"] = data.get("phone") or ""
            out["id_number"] = data.get("id_number") or ""
        return out


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Show"), choices=[("phone", _("Phone")), ("id_number", _("ID number"))], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why you need the full number; the auditor sees it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
