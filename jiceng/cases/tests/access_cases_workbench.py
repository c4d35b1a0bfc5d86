"""The workbench's routes: saved inbox views (anyone who reads cases, each only their own) and the
phone task list (only those cases are dispatched to: grid workers and department handlers)."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

from .access_cases import NO_READ, READERS, a_case

TASKERS = ("grid_worker", "department")


def _not(*allowed: str) -> tuple[str, ...]:
    return tuple(p for p in PERSONAS if p not in allowed)


def grid_case(d) -> str:
    """A case in grid A1 dispatched to no unit: the grid's own workers handle it."""
    from jiceng.accounts.models import User
    from jiceng.cases import case_services
    from jiceng.cases.models import Case

    number = a_case(d)
    case = Case.objects.get(number=number)
    case_services.case_dispatch(actor=User.objects.get(username="p_community_a"), case=case, unit=None,
                                expected_version=1)
    return number


def community_a_view(d) -> int:
    from jiceng.accounts.models import User
    from jiceng.cases.workbench_services import saved_view_save

    owner = User.objects.get(username="p_community_a")
    return saved_view_save(actor=owner, name="超期", filters={"overdue": "1"}).pk


CASES = [
    AccessCase(route="cases:tasks", url=lambda d: reverse("cases:tasks"), allowed=TASKERS, denied=_not(*TASKERS)),
    AccessCase(route="cases:task_act", url=lambda d: reverse("cases:task_act", args=[grid_case(d), "accept"]),
               method="post", data={"version": "2"}, allowed=("grid_worker",), denied=_not("grid_worker")),
    AccessCase(route="cases:task_act",
               url=lambda d: reverse("cases:task_act", args=[a_case(d, to_department=True), "accept"]),
               method="post", data={"version": "2"}, allowed=("department",), denied=_not("department")),
    AccessCase(route="cases:saved_view_save", url=lambda d: reverse("cases:saved_view_save"), method="post",
               data={"name": "待派遣", "query": "state=registered"}, allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:saved_view_delete",
               url=lambda d: reverse("cases:saved_view_delete", args=[community_a_view(d)]), method="post",
               allowed=("community_a",), denied=_not("community_a")),
]
