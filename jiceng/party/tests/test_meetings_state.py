"""The meeting review workflow as a state machine: any sequence of actions moves a meeting only along
declared transitions, a refused action changes nothing, and every accepted one leaves one audit event."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.accounts.models import AuditEvent
from jiceng.party.meeting_models import Meeting, MeetingKind, MeetingState
from jiceng.party.meeting_services import meeting_plan, meeting_record_held, meeting_review, meeting_submit

S = MeetingState
# The declared transitions: action → (states it starts from, state it ends in).
TRANSITIONS = {
    "record": ({S.PLANNED, S.HELD, S.SENT_BACK}, S.HELD),
    "submit": ({S.HELD}, S.SUBMITTED),
    "approve": ({S.SUBMITTED}, S.APPROVED),
    "send_back": ({S.SUBMITTED}, S.SENT_BACK),
}


def _act(action: str, meeting: Meeting) -> None:
    if action == "record":
        meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 2), attendance=[], minutes="M")
    elif action == "submit":
        meeting_submit(actor=None, meeting=meeting)
    else:
        meeting_review(actor=None, meeting=meeting, approve=action == "approve", reason="Redo")


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(sorted(TRANSITIONS)), max_size=8))
def test_meeting_workflow_follows_declared_transitions(district, actions):
    with transaction.atomic():
        meeting = meeting_plan(actor=None, org=district.orgs["a"].group, kind=MeetingKind.GROUP_MEETING,
                               planned_on=date(2025, 3, 1))
        state, accepted = S.PLANNED, 0
        for action in actions:
            sources, target = TRANSITIONS[action]
            # A stale copy, as a second user would hold: the database decides, not the object in memory.
            stale = Meeting.objects.select_related("org").get(pk=meeting.pk)
            if state in sources:
                _act(action, stale)
                state, accepted = target, accepted + 1
            else:
                with pytest.raises(ValidationError):
                    _act(action, stale)
            assert Meeting.objects.get(pk=meeting.pk).state == state
        events = AuditEvent.objects.filter(object_id=str(meeting.pk), action__startswith="meeting.").count()
        assert events == accepted + 1  # the plan, then one per accepted transition
        transaction.set_rollback(True)
