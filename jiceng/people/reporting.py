"""Error reports without personal numbers.

Django's error reports (the 500 e-mail, the debug page) list POST data and every frame's local
variables. The people views and services mark their own variables sensitive, but frames of the
framework hold them too (django-ninja keeps the parsed request body in its own locals). This filter
masks anything shaped like a phone or ID number, with or without spaces and dashes, in every value.
Enable it with DEFAULT_EXCEPTION_REPORTER_FILTER = "jiceng.people.reporting.PersonalDataReporterFilter".
"""

from __future__ import annotations

from django.template.defaultfilters import pprint
from django.views.debug import SafeExceptionReporterFilter

from jiceng.core.logging import mask_numbers

__all__ = ["PersonalDataReporterFilter", "mask_numbers"]


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        masked = params.copy()
        for key, values in masked.lists():
            masked.setlist(key, [mask_numbers(str(v)) for v in values])
        return masked

    def get_traceback_frame_variables(self, request, tb_frame):
        out = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            text = pprint(value)
            masked = mask_numbers(text)
            out.append((name, value if masked == text else masked))
        return out
