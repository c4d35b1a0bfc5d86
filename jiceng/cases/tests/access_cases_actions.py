"""Every transition of the case state machine, on its page route and its API route, with who may take it
and who must get 404.

access_cases.py covers the two routes with dispatch and accept; the other transitions (return,
handle, suspend, resume, verify, rework, close, reopen, route) share those routes but check other
roles, so each gets its own case here. Each URL builds a fresh case in community A, driven through
the services into the state the action starts from; its version is fixed by that path (one step,
one version), so the allowed persona who comes first really takes the action. test_access_coverage.py
fails if a transition of workflow.TRANSITIONS has no case here or in access_cases.py.
"""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

from .access_cases import a_case, case_category

API = "/api/v1/cases"
NOTE = "现场已处理"


def _actor(username: str):
    from jiceng.accounts.models import User

    return User.objects.get(username=username)


def case_at(d, state: str) -> str:
    """A case in community A brought to `state` through the services; returns its number."""
    from jiceng.cases import case_services as svc
    from jiceng.cases.models import Case, Category

    if state == "triage":  # no place: nothing routes it
        return svc.case_report(actor=_actor("p_community_a"), channel="hotline_12345", description="路灯不亮",
                               category=Category.objects.get(pk=case_category(d)), lat=None, lng=None).number
    number = a_case(d, to_department=state != "registered")
    dept, sub, comm = _actor("p_department"), _actor("p_subdistrict"), _actor("p_community_a")
    steps = {
        "dispatched": [],
        "accepted": [(svc.case_accept, dept, {})],
        "suspended": [(svc.case_accept, dept, {}), (svc.case_suspend, sub, {"note": "等待配件"})],
        "handled": [(svc.case_accept, dept, {}), (svc.case_handle, dept, {"note": NOTE})],
        "verified": [(svc.case_accept, dept, {}), (svc.case_handle, dept, {"note": NOTE}),
                     (svc.case_verify, comm, {})],
        "closed": [(svc.case_accept, dept, {}), (svc.case_handle, dept, {"note": NOTE}),
                   (svc.case_verify, comm, {}), (svc.case_close, comm, {})],
    }.get(state, [])
    for service, actor, kw in steps:
        case = Case.objects.get(number=number)
        service(actor=actor, case=case, expected_version=case.version, **kw)
    return number


# The version each starting state has on the path above (report 1, dispatch 2, then +1 a step).
VERSION = {"triage": 1, "registered": 1, "dispatched": 2, "accepted": 3, "suspended": 4, "handled": 4,
           "verified": 5, "closed": 6}
APPROVERS = ("district_admin", "subdistrict_staff")
STAFF_A = (*APPROVERS, "community_a")
# (action, state it starts from, who may take it on a case of community A dispatched to the department)
MATRIX = [
    ("return", "dispatched", ("department",)),
    ("handle", "accepted", ("department",)),
    ("suspend", "accepted", APPROVERS),
    ("resume", "suspended", APPROVERS),
    ("verify", "handled", (*STAFF_A, "grid_worker")),  # never the handler (the department)
    ("rework", "handled", (*STAFF_A, "grid_worker")),
    ("close", "verified", STAFF_A),
    ("reopen", "closed", STAFF_A),
    ("route", "triage", ("district_admin",)),  # an unplaced case is the district's
]


def _others(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in PERSONAS if p not in allowed)


def _page(action: str, state: str, allowed: tuple[str, ...]) -> AccessCase:
    return AccessCase(route="cases:case_act", method="post",
                      url=lambda d: reverse("cases:case_act", args=[case_at(d, state), action]),
                      data={"version": str(VERSION[state]), "note": NOTE, "area_id": ""},
                      allowed=allowed, denied=_others(allowed))


def _api(action: str, state: str, allowed: tuple[str, ...]) -> AccessCase:
    return AccessCase(route=f"api:POST {API}/items/{{number}}/{{action}}", method="post",
                      url=lambda d: f"{API}/items/{case_at(d, state)}/{action}",
                      data={"expected_version": VERSION[state], "note": NOTE, "reason": NOTE},
                      allowed=allowed, denied=_others(allowed))


CASES = [make(action, state, allowed) for action, state, allowed in MATRIX for make in (_page, _api)]


# --- suspension with approval (suspension_views, suspension_api) ----------------------------------

def _pending_suspension(d) -> tuple[str, int]:
    from jiceng.cases.models import Case
    from jiceng.cases.suspension_services import suspension_request

    number = case_at(d, "accepted")
    item = suspension_request(actor=_actor("p_department"), case=Case.objects.get(number=number), reason="等待配件")
    return number, item.pk


def _decide_url(d, api: bool) -> str:
    number, pk = _pending_suspension(d)
    if api:
        return f"{API}/suspensions/{number}/{pk}/decision"
    return reverse("cases:suspension_decide", args=[number, pk])


HANDLER = ("department",)
# Who sees the case (and so its requests): community A's side and the department it is dispatched to.
VIEWERS_A = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")

CASES += [
    AccessCase(route="cases:suspension_request", method="post", data={"reason": "等待配件"},
               url=lambda d: reverse("cases:suspension_request", args=[case_at(d, "accepted")]),
               allowed=HANDLER, denied=_others(HANDLER)),
    AccessCase(route="cases:suspension_decide", method="post", data={"decision": "approve"},
               url=lambda d: _decide_url(d, api=False), allowed=APPROVERS, denied=_others(APPROVERS)),
    AccessCase(route=f"api:GET {API}/suspensions/{{number}}",
               url=lambda d: f"{API}/suspensions/{case_at(d, 'accepted')}", allowed=VIEWERS_A,
               denied=_others(VIEWERS_A)),
    AccessCase(route=f"api:POST {API}/suspensions/{{number}}", method="post", data={"reason": "等待配件"},
               url=lambda d: f"{API}/suspensions/{case_at(d, 'accepted')}", allowed=HANDLER, denied=_others(HANDLER)),
    AccessCase(route=f"api:POST {API}/suspensions/{{number}}/{{request_id}}/decision", method="post",
               data={"approve": True}, url=lambda d: _decide_url(d, api=True),
               allowed=APPROVERS, denied=_others(APPROVERS)),
]
