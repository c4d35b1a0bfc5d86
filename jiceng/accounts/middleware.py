"""Session timeouts (MLPS level 3): idle and absolute.

Idle: a session unused for SESSION_IDLE_SECONDS ends. Absolute: a session ends SESSION_COOKIE_AGE
seconds after sign-in whatever happens. The cookie's own age is not enough for that, because Django
renews the cookie whenever the session is saved (as this middleware does to note activity); so the
sign-in time is kept in the session and checked on every request.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Session keys; the login view writes LOGIN_AT, this middleware LAST_SEEN.
LOGIN_AT = "login_at"
LAST_SEEN = "last_seen"
# Writing the session on every request would cost a database write each time; a coarser clock is
# enough for an idle limit of minutes.
TOUCH_EVERY_SECONDS = 30


def session_expiry_reason(session, now: int) -> str | None:
    login_at = session.get(LOGIN_AT)
    last_seen = session.get(LAST_SEEN)
    if login_at is not None and now - int(login_at) > settings.SESSION_COOKIE_AGE:
        return "absolute"
    if last_seen is not None and now - int(last_seen) > settings.SESSION_IDLE_SECONDS:
        return "idle"
    return None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            reason = session_expiry_reason(request.session, now)
            if reason is not None:
                return self._expire(request, reason)
            session = request.session
            if LOGIN_AT not in session:
                # Signed in some other way (force_login, an older session): the clock starts now.
                session[LOGIN_AT] = now
            if now - int(session.get(LAST_SEEN, 0)) >= TOUCH_EVERY_SECONDS:
                session[LAST_SEEN] = now
        return self.get_response(request)

    def _expire(self, request, reason: str):
        from .services import logout_record

        logout_record(user=request.user, request=request, reason=f"expired.{reason}")
        logout(request)
        if request.path.startswith("/api/"):
            # The API answers 401 itself: the request goes on without a user.
            return self.get_response(request)
        login_url = reverse(settings.LOGIN_URL)
        query = {"expired": "1"}
        if request.method == "GET":
            query["next"] = request.get_full_path()
        url = f"{login_url}?{urlencode(query)}"
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment; ask it for a full navigation instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
