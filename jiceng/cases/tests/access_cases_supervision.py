"""Supervision pages and API: the workbench and lists for everyone who reads cases (scoped inside);
issuing on a case for the area staff over it; replying for the handler; escalating for a higher level."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jiceng.testing import AccessCase

from .access_cases import (
    A_VIEWERS,
    API,
    EXPORTERS,
    NO_EXPORT,
    NO_READ,
    NOT_A,
    READERS,
    a_case,
)

ISSUERS = ("district_admin", "subdistrict_staff", "community_a")
NOT_ISSUERS = ("community_b", "grid_worker", "department", *NO_READ)


def an_order(d, *, late: bool = False) -> int:
    """An open community-level order on a new community A case dispatched to the department."""
    from jiceng.accounts.models import User
    from jiceng.cases.models import Case, SupervisionOrder
    from jiceng.cases.supervision_services import supervision_issue

    case = Case.objects.get(number=a_case(d, to_department=True))
    order = supervision_issue(actor=User.objects.get(username="p_community_a"), case=case, note="请处理")
    if late:
        SupervisionOrder.objects.filter(pk=order.pk).update(reply_due=timezone.now() - timedelta(minutes=1))
    return order.pk


CASES = [
    AccessCase(route="cases:supervision", url=lambda d: reverse("cases:supervision"), allowed=READERS,
               denied=NO_READ),
    AccessCase(route="cases:supervision", url=lambda d: reverse("cases:supervision") + "?tab=orders&format=xlsx",
               allowed=EXPORTERS, denied=NO_EXPORT),
    AccessCase(route="cases:supervision_issue", url=lambda d: reverse("cases:supervision_issue", args=[a_case(d)]),
               method="post", data={"note": "请处理"}, allowed=ISSUERS, denied=NOT_ISSUERS),
    AccessCase(route="cases:supervision_reply",
               url=lambda d: reverse("cases:supervision_reply", args=[an_order(d)]), method="post",
               data={"reply": "处理中"}, allowed=("department",),
               denied=("district_admin", "subdistrict_staff", "community_a", "grid_worker", "community_b",
                       *NO_READ)),
    AccessCase(route="cases:supervision_escalate",
               url=lambda d: reverse("cases:supervision_escalate", args=[an_order(d, late=True)]), method="post",
               data={"note": "升级"}, allowed=("district_admin", "subdistrict_staff"),
               denied=("community_a", "community_b", "grid_worker", "department", *NO_READ)),
    AccessCase(route=f"api:GET {API}/supervision/due", url=lambda d: f"{API}/supervision/due", allowed=READERS,
               denied=NO_READ),
    AccessCase(route=f"api:GET {API}/supervision/orders", url=lambda d: f"{API}/supervision/orders",
               allowed=READERS, denied=NO_READ),
    AccessCase(route=f"api:POST {API}/supervision/cases/{{number}}/orders",
               url=lambda d: f"{API}/supervision/cases/{a_case(d)}/orders", method="post", data={"note": "请处理"},
               allowed=ISSUERS, denied=NOT_ISSUERS),
    AccessCase(route=f"api:POST {API}/supervision/orders/{{order_id}}/reply",
               url=lambda d: f"{API}/supervision/orders/{an_order(d)}/reply", method="post",
               data={"reply": "处理中"}, allowed=("department",),
               denied=("district_admin", "subdistrict_staff", "community_a", "grid_worker", "community_b",
                       *NO_READ)),
    AccessCase(route=f"api:POST {API}/supervision/orders/{{order_id}}/escalate",
               url=lambda d: f"{API}/supervision/orders/{an_order(d, late=True)}/escalate", method="post",
               data={"note": "升级"}, allowed=("district_admin", "subdistrict_staff"),
               denied=("community_a", "community_b", "grid_worker", "department", *NO_READ)),
]
# Out of area: community B never sees community A's orders (A_VIEWERS/NOT_A kept for readers of this file).
assert set(A_VIEWERS) | set(NOT_A)
