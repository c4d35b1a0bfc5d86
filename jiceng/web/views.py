from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from jiceng.accounts.roles import ROLE_HOME, ROLE_ORDER
from jiceng.accounts.scope import scope_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own home page."""
    roles = scope_for(request.user).roles
    for role in ROLE_ORDER:
        if role in roles:
            return redirect(ROLE_HOME[role])
    return redirect("accounts:profile")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
