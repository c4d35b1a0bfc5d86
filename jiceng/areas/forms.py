"""The edit form: parses what a browser sends; the rules themselves live in services.area_update."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _


class AreaForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    population = forms.IntegerField(label=_("population"), min_value=0)
    households = forms.IntegerField(label=_("households"), min_value=0)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    geometry = forms.CharField(
        label=_("boundary (GeoJSON, WGS-84)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("A GeoJSON Polygon or MultiPolygon in longitude, latitude order; empty clears it."),
    )

    def clean_geometry(self) -> dict | None:
        text = (self.cleaned_data.get("geometry") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        return value

    @classmethod
    def initial_for(cls, area) -> dict:
        return {
            "name": area.name,
            "population": area.population,
            "households": area.households,
            "lat": area.lat,
            "lng": area.lng,
            "address": area.address,
            "geometry": json.dumps(area.geometry, ensure_ascii=False) if area.geometry else "",
        }
