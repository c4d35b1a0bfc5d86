"""The suspension panel of the case page: `{% suspension_panel c as sp %}` in cases/_suspension_panel.html
(the case page's view stays as it is; the panel reads what it needs through the selectors)."""

from __future__ import annotations

from django import template

from jiceng.cases.suspension_selectors import case_suspension_requests
from jiceng.cases.suspension_services import may_decide, may_request

register = template.Library()


@register.simple_tag(takes_context=True)
def suspension_panel(context, case) -> dict:
    user = context["request"].user
    items = list(case_suspension_requests(case))
    pending = next((s for s in items if s.pending), None)
    return {
        "items": items,
        "pending": pending,
        "can_request": pending is None and may_request(user, case),
        "can_decide": pending is not None and may_decide(user, case),
    }
