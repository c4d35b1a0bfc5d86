from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect


class SessionTimeoutMiddleware:
    """Idle timeout: a session unused for SESSION_IDLE_SECONDS ends. The absolute timeout is the
    session cookie's age, which Django enforces, since we never refresh it on each request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen", now)
            if now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect(f"{settings.LOGIN_URL and '/accounts/login/'}?next={request.path}&expired=1")
            if now - last > 30:  # avoid writing the session on every request
                request.session["last_seen"] = now
            elif "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)
