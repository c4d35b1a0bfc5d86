"""`{% if request.user|puts_up_posters %}`: whether the area page offers the QR posters."""

from __future__ import annotations

from django import template

from jiceng.accounts.scope import scope_for
from jiceng.cases.poster_views import POSTER_ROLES

register = template.Library()


@register.filter
def puts_up_posters(user) -> bool:
    return bool(scope_for(user).roles & POSTER_ROLES)
