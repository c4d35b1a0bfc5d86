"""The POST side of pages whose GET is covered elsewhere: the same people may send the form, and the
same people get 404 for it. (The form is sent empty or incomplete: the page answers with its errors,
which is enough to prove the write is reached, or refused, by scope.) test_access_coverage.py fails for
a route that accepts POST and has no POST case."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

from .access_cases import EDITORS, NO_EDIT, NO_READ, REPORTERS, category
from .access_cases_hotline import NOT_REPORTERS
from .access_cases_hotline import REPORTERS as HOTLINE_IMPORTERS

CASES = [
    AccessCase(route="cases:case_new", url=lambda d: reverse("cases:case_new"), method="post",
               data={"description": ""}, allowed=REPORTERS, denied=("department", *NO_READ)),
    # The category suggestion while a report is written: whoever may report.
    AccessCase(route="cases:category_suggest", url=lambda d: reverse("cases:category_suggest"), method="post",
               data={"description": "路灯不亮"}, allowed=REPORTERS, denied=("department", *NO_READ)),
    AccessCase(route="api:GET /api/v1/cases/category-suggestions",
               url=lambda d: "/api/v1/cases/category-suggestions?text=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE",
               allowed=REPORTERS, denied=("department", *NO_READ)),
    AccessCase(route="cases:category_edit", url=lambda d: reverse("cases:category_edit", args=[category(d)]),
               method="post", data={"name": ""}, allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:taxonomy_import", url=lambda d: reverse("cases:taxonomy_import"), method="post",
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:hotline_import", url=lambda d: reverse("cases:hotline_import"), method="post",
               allowed=HOTLINE_IMPORTERS, denied=NOT_REPORTERS),
    # Public: a resident needs no account, and Open311 clients authenticate with their api_key (403 without).
    AccessCase("resident:report", url=lambda d: reverse("resident:report"), method="post",
               data={"description": ""}, allowed=PERSONAS, denied=(), public=True),
    AccessCase("resident:building", url=lambda d: reverse("resident:building", args=[d.a.building.code]),
               method="post", data={"description": ""}, allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:requests", url=lambda d: reverse("open311:requests", args=["json"]), method="post",
               data={"service_code": "NOPE"}, allowed=PERSONAS, denied=(), public=True),
]
