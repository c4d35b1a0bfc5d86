"""Pages are shown in Chinese (the default language). The notices page (own notices only, unread
count, mark read) and the robots page (add with field errors, send a test message against a local robot
server, remove), with fixed query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.notify.models import Notice, Robot
from jiceng.notify.services import notify

from .robot_server import robot_server

pytestmark = pytest.mark.django_db


def test_notices_are_the_users_own_and_can_be_marked_read(personas, login, django_assert_max_num_queries):
    notify(users=[personas.community_a], kind="case.urge", title="督办：请处理", url="/cases/")
    notify(users=[personas.community_b], kind="case.urge", title="B的通知")
    client = login(personas.community_a)
    assert client.get(reverse("notify:unread")).content.decode() == "通知 (1)"
    for i in range(2):
        notify(users=[personas.community_a], kind="meeting.due", title=f"会议提醒{i}")
    with django_assert_max_num_queries(12) as few:
        page = client.get(reverse("notify:notices")).content.decode()
    assert "督办：请处理" in page and "B的通知" not in page
    for i in range(10):
        notify(users=[personas.community_a], kind="meeting.due", title=f"更多提醒{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notify:notices"))
    own = Notice.objects.get(user=personas.community_a, title="督办：请处理")
    other = Notice.objects.get(user=personas.community_b)
    response = client.post(reverse("notify:notice_read"), {"notice": own.pk})
    assert response["Location"] == "/cases/"
    client.post(reverse("notify:notice_read"), {"notice": other.pk})  # someone else's: untouched
    other.refresh_from_db()
    own.refresh_from_db()
    assert own.read_at is not None and other.read_at is None
    client.post(reverse("notify:notice_read"))
    assert not Notice.objects.filter(user=personas.community_a, read_at__isnull=True).exists()
    assert client.get(reverse("notify:unread")).content.decode() == "通知"


def test_robots_page_adds_tests_and_removes(personas, district, login, settings):
    settings.NOTIFY_ROBOT_TIMEOUT = 1
    client = login(personas.subdistrict_staff)
    bad = client.post(reverse("notify:robots"), {"area": district.s1.pk, "kind": "wecom", "name": "鼓东群",
                                                 "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"})
    assert bad.status_code == 200 and "?key=" in bad.content.decode()
    with robot_server() as srv:
        srv.secret = "SECpage"
        client.post(reverse("notify:robots"), {"area": district.s1.pk, "kind": "dingtalk", "name": "鼓东群",
                                               "url": f"{srv.url}/robot/send?access_token=t", "secret": "SECpage"})
        robot = Robot.objects.get()
        page = client.get(reverse("notify:robots")).content.decode()
        assert "鼓东群" in page and "access_token=t" not in page and "SECpage" not in page
        tested = client.post(reverse("notify:robot_test", args=[robot.pk]), follow=True).content.decode()
        assert "机器人已接收测试消息。" in tested
        assert srv.received[0]["markdown"]["title"] == "基层治理平台测试消息"
        srv.answer = (200, {"errcode": 300001, "errmsg": "token is not exist"})
        refused = client.post(reverse("notify:robot_test", args=[robot.pk]), follow=True).content.decode()
        assert "errcode 300001" in refused
    # Community staff do not manage robots; the district sees the subdistrict's.
    assert login(personas.community_a).get(reverse("notify:robots")).status_code == 404
    client = login(personas.district_admin)
    assert "鼓东群" in client.get(reverse("notify:robots")).content.decode()
    client.post(reverse("notify:robot_delete", args=[robot.pk]))
    assert not Robot.objects.exists()


def test_api_lists_own_notices_and_marks_them_read(personas, login, django_assert_max_num_queries):
    notify(users=[personas.grid_worker], kind="case.urge", title="督办一")
    notify(users=[personas.community_b], kind="case.urge", title="别人的")
    client = login(personas.grid_worker)
    with django_assert_max_num_queries(10) as few:
        data = client.get("/api/v1/notify/notices").json()
    assert [n["title"] for n in data["items"]] == ["督办一"] and data["unread"] == 1
    for i in range(6):
        notify(users=[personas.grid_worker], kind="case.urge", title=f"督办{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = client.get("/api/v1/notify/notices?unread=true").json()
    assert data["count"] == 7
    first = data["items"][0]["id"]
    other = Notice.objects.get(user=personas.community_b).pk
    marked = client.post("/api/v1/notify/notices/read", {"ids": [first, other]},
                         content_type="application/json").json()
    assert marked == {"marked": 1, "unread": 6}
    assert client.post("/api/v1/notify/notices/read", {}, content_type="application/json").json()["unread"] == 0
    assert Notice.objects.get(pk=other).read_at is None


def test_users_set_their_own_address_for_notices(personas, login):
    from jiceng.accounts.models import AuditEvent

    client = login(personas.grid_worker)
    client.post(reverse("notify:notice_email"), {"email": "not-an-address"})
    personas.grid_worker.refresh_from_db()
    assert personas.grid_worker.email == ""
    client.post(reverse("notify:notice_email"), {"email": "grid@example.org"})
    personas.grid_worker.refresh_from_db()
    assert personas.grid_worker.email == "grid@example.org"
    event = AuditEvent.objects.filter(action="account.notice_email").get()
    assert event.changes == {"email": "set"} and "grid@example.org" not in str(event.changes)
