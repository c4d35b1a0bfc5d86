"""The whistle panel on the case page: the case's whistles the user may see, and whether they may whistle.
A tag, so the case page's view stays untouched (one include line in case_detail.html)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from jiceng.cases import whistle_selectors as sel

register = template.Library()


@register.simple_tag(takes_context=True)
def case_whistle_panel(context, case) -> dict:
    user = context["request"].user
    now = timezone.now()
    whistles = sel.case_whistles(user, case)
    return {"rows": [(w, [(r, sel.response_flags(r, now)) for r in w.responses.all()]) for w in whistles],
            "can_whistle": sel.may_whistle(user) and bool(case.subdistrict_id) and case.state != "closed"}


@register.simple_tag(takes_context=True)
def pending_whistles(context) -> dict:
    now = timezone.now()
    count, responses = sel.pending_responses(context["request"].user)
    return {"count": count, "rows": [(r, sel.response_flags(r, now)) for r in responses]}
