"""The follow-up panel of the case page: `{% follow_up_panel c as fb %}` in cases/_follow_up_panel.html
(the case page's view stays as it is; the panel reads what it needs through the selectors)."""

from __future__ import annotations

from django import template

from jiceng.cases.feedback_models import Satisfaction
from jiceng.cases.feedback_selectors import case_feedback
from jiceng.cases.feedback_services import may_follow_up
from jiceng.cases.resident_services import RATEABLE

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_up_panel(context, case) -> dict:
    user = context["request"].user
    return {
        "items": list(case_feedback(case)),
        "can_record": case.state in RATEABLE and may_follow_up(user, case),
        "ratings": Satisfaction.choices,
    }
