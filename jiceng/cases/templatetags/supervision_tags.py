"""`{% supervision_panel case %}`: the urge panel on the case page (included from
cases/_supervision_panel.html, so the case page's view needs no change). Two queries: the case's orders
with their people, and nothing else (permissions come from the cached scope)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from jiceng.accounts.scope import scope_for
from jiceng.cases import supervision_selectors as sel
from jiceng.cases import supervision_services as svc

register = template.Library()


@register.inclusion_tag("cases/_supervision_orders.html", takes_context=True)
def supervision_panel(context, case):
    user = context["request"].user
    scope = scope_for(user)
    now = timezone.now()
    rows = []
    for order in sel.case_orders(case):
        order.case = case  # the case is already loaded in scope; spare a query per order
        is_open = svc.is_open(order)
        late = is_open and order.reply_due < now
        rows.append({"o": order, "open": is_open, "late": late,
                     "can_reply": is_open and svc.may_reply(scope, order),
                     "can_escalate": late and svc.may_escalate(scope, order)})
    level = svc.actor_level(scope, case)
    # One open order per level: the form shows only while the user's level has none.
    open_levels = {r["o"].level for r in rows if r["open"]}
    return {"case": case, "rows": rows, "csrf_token": context.get("csrf_token"), "level": level,
            "can_issue": level is not None and case.state != "closed" and level not in open_levels}
