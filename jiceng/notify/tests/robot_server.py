"""A local stand-in for the WeCom and DingTalk robot endpoints: a real HTTP server on 127.0.0.1 that
checks what their documentation requires (JSON body, msgtype, the key or access token, DingTalk's
signature) and answers as they do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class RobotServer:
    url: str
    received: list[dict] = field(default_factory=list)
    queries: list[dict] = field(default_factory=list)
    # What to answer next: (HTTP status, JSON body); "hang" waits until the test ends.
    answer: tuple[int, dict] | str = (200, {"errcode": 0, "errmsg": "ok"})
    secret: str = ""  # DingTalk signing secret to verify
    release: threading.Event = field(default_factory=threading.Event)


def _handler(server: RobotServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urllib.parse.urlsplit(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            server.queries.append(query)
            if server.answer == "hang":
                server.release.wait(10)
                return
            status, reply = server.answer
            try:
                body = json.loads(raw.decode("utf-8"))
                assert self.headers.get("Content-Type", "").startswith("application/json")
            except (ValueError, AssertionError):
                status, reply = 200, {"errcode": 40008, "errmsg": "invalid message type"}
                body = None
            if body is not None:
                server.received.append(body)
                if parts.path.endswith("/robot/send") and server.secret:
                    ts, sign = query.get("timestamp", ""), query.get("sign", "")
                    expected = base64.b64encode(hmac.new(server.secret.encode(), f"{ts}\n{server.secret}".encode(),
                                                         hashlib.sha256).digest()).decode()
                    # parse_qs has already URL-decoded `sign`; DingTalk also rejects stale timestamps.
                    if sign != expected or abs(int(ts or 0) - time.time() * 1000) > 3600_000:
                        status, reply = 200, {"errcode": 310000, "errmsg": "sign not match"}
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def robot_server() -> Iterator[RobotServer]:
    state = RobotServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
