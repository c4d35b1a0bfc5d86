"""Forms of the taxonomy and calendar pages: they read input; services.py decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.units.models import UnitKind

from .models import LimitUnit, Stage, Urgency
from .taxonomy import MAX_AMOUNT, LimitSpec


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False)
    urgency_levels = forms.MultipleChoiceField(
        label=_("Urgency levels"), choices=Urgency.choices, widget=forms.CheckboxSelectMultiple
    )
    unit_kind = forms.ChoiceField(
        label=_("Responsible unit kind"), choices=[("", "—"), *UnitKind.choices], required=False
    )
    is_major_hazard = forms.BooleanField(
        label=_("Major hazard"), required=False,
        help_text=_("A major hazard whistles at once to the linked unit kinds, with the shortest clocks."),
    )
    hazard_unit_kinds = forms.MultipleChoiceField(
        label=_("Linked unit kinds"), choices=UnitKind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class LimitForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    step = forms.CharField(label=_("Step"), max_length=50, required=False,
                           help_text=_("Only for a stage done in named steps, in order."))
    amount = forms.IntegerField(label=_("Amount"), min_value=1, max_value=MAX_AMOUNT)
    unit = forms.ChoiceField(label=_("Unit"), choices=LimitUnit.choices)

    def has_changed(self) -> bool:
        # A blank extra row still submits its selects' first choices; only an amount or a step
        # makes it a limit the user meant to add.
        if self.initial:
            return super().has_changed()
        return bool(self.data.get(self.add_prefix("amount")) or self.data.get(self.add_prefix("step")))

    def spec(self) -> LimitSpec:
        d = self.cleaned_data
        return LimitSpec(stage=d["stage"], urgency=d["urgency"], amount=d["amount"], unit=d["unit"],
                         step=d.get("step", "").strip())


LimitFormSet = forms.formset_factory(LimitForm, extra=2, can_delete=True, max_num=60, validate_max=True)


class OverrideForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_working_day = forms.TypedChoiceField(
        label=_("The day is"),
        choices=[("1", _("a working day")), ("0", _("a day off"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
