"""The outside channels against real local servers: WeCom and DingTalk robot webhooks (http.server on
127.0.0.1 checking the documented protocol and DingTalk's signature) and email (an aiosmtpd SMTP server).
notify() sends them only after the caller's transaction commits, and a failure never reaches the caller."""

from __future__ import annotations

import logging
import socket
from contextlib import contextmanager
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from jiceng.notify import channels
from jiceng.notify.models import Notice, Robot
from jiceng.notify.services import notify, robot_create, robot_test, robots_for

from .robot_server import robot_server

pytestmark = pytest.mark.django_db
MSG = channels.Message(title="督办：GL2026120200001", body="路灯不亮，请尽快处理", url="https://jiceng.example/cases/")


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.NOTIFY_ROBOT_TIMEOUT = 0.5


# --- WeCom ----------------------------------------------------------------------------------------


def test_wecom_posts_markdown_json_to_the_key_url():
    with robot_server() as srv:
        sent = channels.send_wecom(f"{srv.url}/cgi-bin/webhook/send?key=abc-123", MSG)
    assert sent.ok
    assert srv.queries == [{"key": "abc-123"}]
    body = srv.received[0]
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["content"].startswith("**督办：GL2026120200001**")
    assert "路灯不亮" in body["markdown"]["content"] and "https://jiceng.example/cases/" in body["markdown"]["content"]


def test_wecom_errcode_is_a_logged_failure_without_the_key(caplog):
    with robot_server() as srv, caplog.at_level(logging.ERROR, logger="jiceng.notify"):
        srv.answer = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        sent = channels.send_wecom(f"{srv.url}/cgi-bin/webhook/send?key=secret-key-9", MSG, label="#7")
    assert not sent.ok and sent.error.startswith("errcode 93000")
    assert "#7" in caplog.text and "93000" in caplog.text
    assert "secret-key-9" not in caplog.text and "路灯" not in caplog.text


def test_http_error_and_timeout_are_failures_not_exceptions(caplog):
    with robot_server() as srv:
        srv.answer = (500, {"error": "boom"})
        assert channels.send_wecom(f"{srv.url}/send?key=k", MSG).error == "HTTP 500"
        srv.answer = "hang"
        assert channels.send_wecom(f"{srv.url}/send?key=k", MSG).error == "timeout"
    assert channels.send_wecom("ftp://example.org/send?key=k", MSG).error == "bad address"


# --- DingTalk -------------------------------------------------------------------------------------


def test_dingtalk_signs_with_timestamp_and_hmac():
    secret = "SEC0123456789abcdef"
    with robot_server() as srv:
        srv.secret = secret
        sent = channels.send_dingtalk(f"{srv.url}/robot/send?access_token=tok", secret, MSG)
        wrong = channels.send_dingtalk(f"{srv.url}/robot/send?access_token=tok", "SECwrong", MSG)
    assert sent.ok, sent.error
    assert wrong.error.startswith("errcode 310000")
    q = srv.queries[0]
    assert q["access_token"] == "tok" and q["timestamp"].isdigit() and len(q["timestamp"]) == 13
    body = srv.received[0]
    assert body == {"msgtype": "markdown", "markdown": {"title": MSG.title, "text": MSG.markdown()}}


def test_dingtalk_signature_matches_the_documented_example_shape():
    # sign = urlencode(base64(hmac_sha256(secret, "ts\nsecret"))): base64 characters are escaped.
    sign = channels.dingtalk_sign("SECabc", 1577262236757)
    assert "%" in sign or sign.isalnum()
    url = channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=x", "SECabc", 1577262236757)
    assert url == f"https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1577262236757&sign={sign}"
    assert channels.dingtalk_url("https://h/robot/send?access_token=x", "") == "https://h/robot/send?access_token=x"


# --- robots as data, and notify() -----------------------------------------------------------------


def test_robot_secrets_are_encrypted_and_managed_in_scope(personas, district):
    with robot_server() as srv:
        robot = robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="dingtalk", name="鼓东群",
                             url=f"{srv.url}/robot/send?access_token=tok-s1", secret="SECs1")
        srv.secret = "SECs1"
        assert robot_test(actor=personas.subdistrict_staff, robot=robot).ok
    stored = Robot.objects.get(pk=robot.pk)
    assert "tok-s1" not in stored.url_encrypted and "SECs1" not in stored.secret_encrypted
    assert "tok-s1" not in stored.url_masked
    with pytest.raises(PermissionDenied):
        robot_create(actor=personas.subdistrict_staff, area=district.s2, kind="wecom", name="x",
                     url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    for actor in (personas.community_a, personas.department):
        with pytest.raises(PermissionDenied):
            robot_create(actor=actor, area=district.a.area, kind="wecom", name="x",
                         url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    with pytest.raises(ValidationError) as err:
        robot_create(actor=personas.district_admin, area=district.s1, kind="wecom", name="x",
                     url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    assert "url" in err.value.message_dict


def test_notify_after_commit_reaches_the_robots_of_the_area_chain(personas, district,
                                                                  django_capture_on_commit_callbacks):
    with robot_server() as srv:
        robot_create(actor=personas.district_admin, area=district.district, kind="wecom", name="区群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=district")
        robot_create(actor=personas.subdistrict_staff, area=district.s1, kind="wecom", name="鼓东群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s1")
        robot_create(actor=personas.district_admin, area=district.s2, kind="wecom", name="鼓西群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=s2")
        assert [r.name for r in robots_for(district.a.grid.path)] == ["区群", "鼓东群"]
        with django_capture_on_commit_callbacks(execute=True):
            notify(users=[personas.community_a], kind="case.urge", title="请处理", url="/cases/",
                   area_path=district.a.grid.path)
            assert srv.received == []  # nothing leaves before the commit
        assert sorted(q["key"] for q in srv.queries) == ["district", "s1"]
    assert Notice.objects.filter(user=personas.community_a).count() == 1


def test_a_failing_robot_never_breaks_the_caller(personas, district, django_capture_on_commit_callbacks, caplog):
    with robot_server() as srv:
        robot_create(actor=personas.district_admin, area=district.district, kind="wecom", name="区群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=k")
        srv.answer = (200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                notify(users=[personas.grid_worker], kind="case.urge", title="请处理", area_path=district.a.grid.path)
    assert "errcode 45009" in caplog.text
    assert Notice.objects.filter(user=personas.grid_worker).count() == 1


def test_rolled_back_change_sends_nothing(personas, district, django_capture_on_commit_callbacks):
    with robot_server() as srv:
        robot_create(actor=personas.district_admin, area=district.district, kind="wecom", name="区群",
                     url=f"{srv.url}/cgi-bin/webhook/send?key=k")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    notify(users=[personas.grid_worker], kind="x", title="t", area_path=district.a.grid.path)
                    raise RuntimeError("the change fails")
            except RuntimeError:
                pass
        assert callbacks == [] and srv.received == []
    assert not Notice.objects.exists()


# --- email ----------------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield inbox
    finally:
        controller.stop()


def test_notify_mails_users_with_an_address_over_smtp(personas, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://jiceng.example"
    personas.community_a.email = "a@example.org"
    personas.grid_worker.email = ""
    with smtp_server(settings) as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            notify(users=[personas.community_a, personas.grid_worker], kind="case.urge", title="督办：请处理",
                   body="路灯不亮", url="/cases/GL2026120200001/")
    assert len(inbox.messages) == 1
    rcpt, content = inbox.messages[0]
    assert rcpt == ["a@example.org"]
    mail = message_from_bytes(content, policy=policy.default)
    assert mail["Subject"] == "督办：请处理"
    text = mail.get_body().get_content()
    assert "路灯不亮" in text and "https://jiceng.example/cases/GL2026120200001/" in text


def test_smtp_down_is_logged_not_raised(settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 1
    sent = channels.send_emails(["a@example.org"], MSG)
    assert not sent.ok and "email" in caplog.text and "a@example.org" not in caplog.text
