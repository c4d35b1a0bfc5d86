"""Notices are every signed-in user's own; group robots are managed by district and subdistrict staff
over their own area (a robot outside it reads as not found)."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

MANAGERS = ("district_admin", "subdistrict_staff")
NOT_MANAGERS = tuple(p for p in PERSONAS if p not in MANAGERS)


def s1_robot(d) -> int:
    from jiceng.notify.robot_models import Robot
    from jiceng.notify.services import mask_url
    from jiceng.people.personal import encrypt

    url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=test"
    robot = Robot.objects.create(area=d.s1, kind="wecom", name="鼓东群", url_encrypted=encrypt(url),
                                 url_masked=mask_url(url), created_at="2026-12-01T00:00:00Z")
    return robot.pk


def s2_robot(d) -> int:
    from jiceng.notify.robot_models import Robot

    pk = s1_robot(d)
    Robot.objects.filter(pk=pk).update(area=d.s2)
    return pk


CASES = [
    AccessCase("notify:notices", url=lambda d: reverse("notify:notices"), allowed=PERSONAS, denied=()),
    AccessCase("notify:unread", url=lambda d: reverse("notify:unread"), allowed=PERSONAS, denied=()),
    AccessCase("notify:notice_email", url=lambda d: reverse("notify:notice_email"), method="post",
               data={"email": ""}, allowed=PERSONAS, denied=()),
    AccessCase("notify:notice_read", url=lambda d: reverse("notify:notice_read"), method="post",
               allowed=PERSONAS, denied=()),
    AccessCase("api:GET /api/v1/notify/notices", url=lambda d: "/api/v1/notify/notices", allowed=PERSONAS,
               denied=()),
    AccessCase("api:POST /api/v1/notify/notices/read", url=lambda d: "/api/v1/notify/notices/read", method="post",
               data={}, allowed=PERSONAS, denied=()),
    AccessCase("notify:robots", url=lambda d: reverse("notify:robots"), allowed=MANAGERS, denied=NOT_MANAGERS),
    AccessCase("notify:robots", url=lambda d: reverse("notify:robots"), method="post", data={"name": ""},
               allowed=MANAGERS, denied=NOT_MANAGERS),
    AccessCase("notify:robot_test", url=lambda d: reverse("notify:robot_test", args=[s1_robot(d)]), method="post",
               allowed=MANAGERS, denied=NOT_MANAGERS),
    # A robot of subdistrict S2 is outside the S1 official's area (a deleted robot is gone for the next
    # persona, so one allowed persona per delete case).
    AccessCase("notify:robot_delete", url=lambda d: reverse("notify:robot_delete", args=[s2_robot(d)]),
               method="post", allowed=("district_admin",), denied=tuple(p for p in PERSONAS if p != "district_admin")),
]
