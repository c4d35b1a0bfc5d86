"""Shared form plumbing for the HTML pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(form: forms.Form, exc: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form, field by field, so the user sees each message
    beside what they typed. `aliases` maps a service's field to the form's (a person is entered by
    ID number, so errors about `person` belong on `id_number`); unknown fields go on top."""
    aliases = aliases or {}
    for name, messages in exc.message_dict.items():
        name = aliases.get(name, name)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
