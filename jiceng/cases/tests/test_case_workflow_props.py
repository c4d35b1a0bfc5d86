"""The case workflow's invariants under random actions by random personas, on several cases at once.

A hypothesis state machine reports cases in communities A and B, then lets any persona (the right one
or the wrong one) try any action (mapped or not, with the current or a stale version, with or without
a note), and lets time pass (deadlines fall behind). After every step:

- a case's state is its last event's `to_state`, and its version counts its events (one more per event);
- every event's (from_state, transition) is in TRANSITIONS and leads where the map says;
- a closed case was verified: a verify event after its last handle event;
- a verifier never handled the case;
- a refused action changed nothing: same row, no new event, no new audit row;
- a suspended case is never counted overdue (its clock stops), while a running one past its deadline is.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from jiceng.accounts.models import AuditEvent
from jiceng.accounts.scope import scope_for
from jiceng.cases import case_selectors as sel
from jiceng.cases import case_services as svc
from jiceng.cases import workflow
from jiceng.cases.models import Case, CaseEvent, CaseState

from .test_case_services import POINT_A, POINT_B, cat  # noqa: F401

PERSONAS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department",
            "member", "auditor")
# The fields a refused action must leave as they were.
ROW = ("state", "version", "unit_id", "handle_due", "verify_due", "dispatch_due", "suspended_at", "closed_at",
       "area_path", "triage_reason")


def _row(pk: int) -> dict:
    return Case.objects.filter(pk=pk).values(*ROW).get()


class Workflow(RuleBasedStateMachine):
    ctx: dict = {}

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[int] = []

    def _persona(self, name: str):
        return getattr(self.ctx["personas"], name)

    @precondition(lambda self: len(self.ids) < 3)  # a few cases, so each one gets deep into the workflow
    @rule(who=st.sampled_from(PERSONAS), in_b=st.booleans())
    def report(self, who: str, in_b: bool) -> None:
        actor = self._persona(who)
        audits = AuditEvent.objects.count()
        try:
            case = svc.case_report(actor=actor, channel="staff", category=self.ctx["cat"], description="井盖破损",
                                   lat=(POINT_B if in_b else POINT_A)[0], lng=(POINT_B if in_b else POINT_A)[1])
        except (PermissionDenied, ValidationError):
            # Not a reporter, or the place is outside their area: nothing written.
            assert AuditEvent.objects.count() == audits
            return
        assert scope_for(actor).roles & workflow.REPORTERS
        self.ids.append(case.pk)

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def act(self, data) -> None:
        pk = data.draw(st.sampled_from(self.ids))
        before = Case.objects.get(pk=pk)
        mapped = [a for (s, a) in workflow.TRANSITIONS if s == before.state]
        # Mostly what the map allows now, so runs reach deep states; sometimes anything at all.
        action = data.draw(st.sampled_from(mapped) if mapped and data.draw(st.integers(0, 6))
                           else st.sampled_from(workflow.ACTIONS))
        capable = [n for n in PERSONAS if workflow.may_act(scope_for(self._persona(n)), before, action)]
        who = data.draw(st.sampled_from(capable) if capable and data.draw(st.integers(0, 6))
                        else st.sampled_from(PERSONAS))
        actor = self._persona(who)
        stale = data.draw(st.integers(0, 9)) == 0
        note = data.draw(st.sampled_from(["因为现场需要"] * 5 + [""]))
        d = self.ctx["district"]
        unit = data.draw(st.sampled_from([d.department, d.department, None]))
        area = d.b.grid if before.area_path.startswith(d.b.area.path) else d.a.grid
        events, audits, row = CaseEvent.objects.filter(case_id=pk).count(), AuditEvent.objects.count(), _row(pk)
        try:
            after = svc.case_act(actor=actor, case=before, action=action, note=note, unit=unit, area=area,
                                 expected_version=before.version - 1 if stale else before.version)
        except (PermissionDenied, svc.ConflictError, ValidationError):
            assert _row(pk) == row
            assert CaseEvent.objects.filter(case_id=pk).count() == events
            assert AuditEvent.objects.count() == audits
        else:
            assert not stale and (before.state, action) in workflow.TRANSITIONS
            assert workflow.may_act(scope_for(actor), before, action)
            assert after.state == workflow.TRANSITIONS[(before.state, action)]
            assert after.version == before.version + 1
            event(f"took {action}")  # how deep the runs go (a run of 20 reaches close and reopen)
            assert CaseEvent.objects.filter(case_id=pk).count() == events + 1
            assert AuditEvent.objects.filter(action=f"case.{action}", object_id=str(pk)).exists()

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), days=st.integers(1, 30), now=st.integers(0, 3))
    def time_passes(self, data, days: int, now: int) -> None:
        """Every stored deadline of one case falls `days` behind, as if the days had gone by."""
        if now:  # drawn so that time passes on about one step in six, leaving the rest to actions
            return
        pk = data.draw(st.sampled_from(self.ids))
        past = timezone.now() - timedelta(days=days)
        Case.objects.filter(pk=pk, handle_due__isnull=False).update(handle_due=past)
        Case.objects.filter(pk=pk, dispatch_due__isnull=False).update(dispatch_due=past)
        Case.objects.filter(pk=pk, verify_due__isnull=False).update(verify_due=past)

    def _events(self) -> dict[int, list[CaseEvent]]:
        out: dict[int, list[CaseEvent]] = {pk: [] for pk in self.ids}
        for e in CaseEvent.objects.filter(case_id__in=self.ids).order_by("case_id", "seq"):
            out[e.case_id].append(e)
        return out

    @invariant()
    def log_matches_row(self) -> None:
        states = dict(Case.objects.filter(pk__in=self.ids).values_list("pk", "state"))
        versions = dict(Case.objects.filter(pk__in=self.ids).values_list("pk", "version"))
        for pk, events in self._events().items():
            assert events[-1].to_state == states[pk]
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert versions[pk] == len(events)  # one more per event, from 1 at the report

    @invariant()
    def every_event_is_in_the_map(self) -> None:
        for events in self._events().values():
            assert events[0].transition == "report" and events[0].from_state == ""
            for prev, e in zip(events, events[1:], strict=False):
                assert e.from_state == prev.to_state
                assert (e.from_state, e.transition) in workflow.TRANSITIONS
                assert workflow.TRANSITIONS[(e.from_state, e.transition)] == e.to_state

    @invariant()
    def closed_was_verified_by_someone_else(self) -> None:
        for events in self._events().values():
            handlers: set[int] = set()
            for i, e in enumerate(events):
                if e.transition == "handle":
                    handlers.add(e.actor_id)
                if e.transition == "verify":
                    assert e.actor_id not in handlers
                if e.transition == "close":
                    last_handle = max(j for j in range(i) if events[j].transition == "handle")
                    assert any(events[j].transition == "verify" for j in range(last_handle + 1, i))

    @invariant()
    def suspended_is_never_overdue(self) -> None:
        admin = self.ctx["personas"].district_admin
        overdue = set(sel.case_inbox(admin, sel.InboxFilters(overdue=True)).filter(pk__in=self.ids)
                      .values_list("pk", flat=True))
        now = timezone.now()
        for c in sel.with_due(Case.objects.filter(pk__in=self.ids)):
            if c.state == CaseState.SUSPENDED:
                assert not c.overdue and c.pk not in overdue
            else:
                # A running stage past its deadline is overdue: the check above is not vacuous.
                assert (c.pk in overdue) == (c.current_due is not None and c.current_due < now)


@pytest.mark.django_db
def test_workflow_invariants_on_many_cases(personas, district, cat):  # noqa: F811
    Workflow.ctx = {"personas": personas, "district": district, "cat": cat}
    run_state_machine_as_test(Workflow, settings=settings(
        max_examples=20, stateful_step_count=50, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
