"""Shared form plumbing for the HTML pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


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


def submit_service_form(request, form: forms.Form, call, *, aliases: dict[str, str] | None = None) -> bool:
    """The pages' one way to run a write: on a valid POST, call `call(form.cleaned_data)` (a service).
    True when it succeeded. A refused permission reads as not found (404), like an object out of scope;
    the service's field errors land on the form, so the user keeps what they typed."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        apply_service_errors(form, exc, aliases=aliases)
        return False
    return True
