"""The outside channels: email through Django's mail backend, and the WeCom and DingTalk group robots
through their documented webhook protocols.

WeCom (企业微信群机器人): POST JSON {"msgtype": "markdown", "markdown": {"content": ...}} to
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY; it answers {"errcode": 0, "errmsg": "ok"}.
DingTalk (钉钉自定义机器人): POST JSON {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to
https://oapi.dingtalk.com/robot/send?access_token=TOKEN; with signing on, append &timestamp=T&sign=S where
T is the time in milliseconds and S = urlencode(base64(HMAC-SHA256(secret, f"{T}\\n{secret}"))). It
answers errcode 0 on success.

Every send here is best effort: failures are logged (robot id, error code, never the address, the token
or the message, which may name people) and returned as a result, never raised to the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

log = logging.getLogger("jiceng.notify")

# Robots answer in well under a second; a stuck one must not hold a worker for long.
DEFAULT_TIMEOUT = 5.0
# WeCom limits markdown content to 4096 bytes, DingTalk to about 5000 characters: stay under both.
MAX_TEXT = 1800


@dataclass(frozen=True)
class Sent:
    ok: bool
    error: str = ""  # a short, data-free description ("errcode 310000", "HTTP 500", "timeout")


@dataclass(frozen=True)
class Message:
    title: str
    body: str = ""
    url: str = ""  # absolute link, when the site's address is known

    def markdown(self) -> str:
        text = f"**{self.title}**"
        if self.body:
            text += f"\n\n{self.body}"
        if self.url:
            text += f"\n\n[{self.url}]({self.url})"
        return text[:MAX_TEXT]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret,
    URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


def wecom_payload(message: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": message.markdown()}}


def dingtalk_payload(message: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": message.title[:60], "text": message.markdown()}}


def _timeout() -> float:
    return float(getattr(settings, "NOTIFY_ROBOT_TIMEOUT", DEFAULT_TIMEOUT))


def _post_json(url: str, payload: dict, *, label: str) -> Sent:
    """POST the payload; success is HTTP 2xx with errcode 0 in the reply."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        log.error("robot %s: webhook address is not http(s)", label)
        return Sent(False, "bad address")
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 (scheme checked above)
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        log.error("robot %s: HTTP %s", label, exc.code)
        return Sent(False, f"HTTP {exc.code}")
    except TimeoutError:
        log.error("robot %s: no answer within %ss", label, _timeout())
        return Sent(False, "timeout")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            log.error("robot %s: no answer within %ss", label, _timeout())
            return Sent(False, "timeout")
        log.error("robot %s: cannot connect (%s)", label, type(reason).__name__)
        return Sent(False, "connection failed")
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        log.error("robot %s: the answer is not JSON", label)
        return Sent(False, "bad answer")
    code = reply.get("errcode") if isinstance(reply, dict) else None
    if code != 0:
        # errmsg comes from the robot's platform and names no person; it helps the admin fix the setup.
        errmsg = str(reply.get("errmsg", ""))[:100] if isinstance(reply, dict) else ""
        log.error("robot %s: errcode %s %s", label, code, errmsg)
        return Sent(False, f"errcode {code} {errmsg}".strip())
    return Sent(True)


def send_wecom(url: str, message: Message, *, label: str = "wecom") -> Sent:
    return _post_json(url, wecom_payload(message), label=label)


def send_dingtalk(url: str, secret: str, message: Message, *, label: str = "dingtalk") -> Sent:
    return _post_json(dingtalk_url(url, secret), dingtalk_payload(message), label=label)


def send_robot(robot, message: Message) -> Sent:
    """Send to a stored Robot (decrypting its address and secret here, at the last moment)."""
    from jiceng.people.personal import decrypt

    from .robot_models import RobotKind

    url = decrypt(robot.url_encrypted)
    label = f"#{robot.pk}"
    if robot.kind == RobotKind.DINGTALK:
        secret = decrypt(robot.secret_encrypted) if robot.secret_encrypted else ""
        return send_dingtalk(url, secret, message, label=label)
    return send_wecom(url, message, label=label)


def send_emails(recipients: list[str], message: Message) -> Sent:
    """One mail per recipient (nobody sees the others' addresses), over one SMTP connection."""
    if not recipients:
        return Sent(True)
    text = message.body + (f"\n\n{message.url}" if message.url else "")
    try:
        with get_connection(fail_silently=False) as connection:
            mails = [EmailMessage(subject=message.title, body=text, to=[to], connection=connection)
                     for to in recipients]
            connection.send_messages(mails)
    except (OSError, Exception) as exc:  # noqa: BLE001 (smtplib raises many kinds; none may reach the caller)
        log.error("email: sending %d messages failed (%s)", len(recipients), type(exc).__name__)
        return Sent(False, type(exc).__name__)
    return Sent(True)
