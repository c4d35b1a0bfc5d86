"""The workflow's invariants under random sequences of actions by random personas (hypothesis), and a
real race between two dispatchers on PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jiceng.accounts.scope import scope_for
from jiceng.cases import case_services as svc
from jiceng.cases import workflow
from jiceng.cases.models import Case, CaseEvent, CaseState

from .test_case_services import cat, report  # noqa: F401

ACTORS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department",
          "member")


class CaseMachine(RuleBasedStateMachine):
    """One case in community A; each step a persona tries an action, with the current or a stale version."""

    ctx: dict = {}

    def __init__(self) -> None:
        super().__init__()
        p = self.ctx["personas"]
        self.case = report(p.community_a, self.ctx["cat"])

    def _reload(self) -> Case:
        return Case.objects.get(pk=self.case.pk)

    @rule(data=st.data())
    def act(self, data) -> None:
        # Mostly actions the map allows now, by personas allowed to take them, so runs get deep into the
        # workflow; sometimes anything, by anyone, with a stale version.
        before = self._reload()
        p = self.ctx["personas"]
        mapped = [a for (s, a) in workflow.TRANSITIONS if s == before.state]
        action = data.draw(st.sampled_from(mapped) if mapped and data.draw(st.integers(0, 4)) else
                           st.sampled_from(workflow.ACTIONS))
        capable = [n for n in ACTORS if workflow.may_act(scope_for(getattr(p, n)), before, action)]
        who = data.draw(st.sampled_from(capable) if capable and data.draw(st.integers(0, 4)) else
                        st.sampled_from(ACTORS))
        stale = data.draw(st.integers(0, 6)) == 0
        to_grid = data.draw(st.booleans())
        d, actor = self.ctx["district"], getattr(self.ctx["personas"], who)
        version = before.version - 1 if stale else before.version
        allowed_by_role = workflow.may_act(scope_for(actor), before, action)
        in_map = (before.state, action) in workflow.TRANSITIONS
        try:
            after = svc.case_act(actor=actor, case=before, action=action, expected_version=version, note="因为",
                                 unit=None if to_grid else d.department, area=d.a.grid)
        except PermissionDenied:
            assert not allowed_by_role
        except svc.ConflictError:
            assert stale or not in_map or action == "reopen"
        except ValidationError:
            # The handler verifying, or sending back, their own work is the only refusal a permitted, mapped,
            # fresh action meets.
            assert action in workflow.NOT_BY_HANDLER
        else:
            assert allowed_by_role and in_map and not stale
            assert after.state == workflow.TRANSITIONS[(before.state, action)]
            assert after.version == before.version + 1
        now = self._reload()
        if now.version == before.version:
            assert now.state == before.state  # a refused action changes nothing

    @invariant()
    def state_is_last_event(self) -> None:
        case = self._reload()
        events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
        assert events[-1].to_state == case.state
        assert case.version == len(events)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))

    @invariant()
    def every_transition_is_in_the_map(self) -> None:
        events = list(CaseEvent.objects.filter(case=self.case).order_by("seq"))
        assert events[0].transition == "report"
        for prev, event in zip(events, events[1:], strict=False):
            assert event.from_state == prev.to_state
            assert workflow.TRANSITIONS[(event.from_state, event.transition)] == event.to_state

    @invariant()
    def closed_means_verified(self) -> None:
        events = list(CaseEvent.objects.filter(case=self.case).order_by("seq"))
        for i, event in enumerate(events):
            if event.transition == "close":
                assert events[i - 1].transition == "verify"
                handlers = {e.actor_id for e in events[:i] if e.transition == "handle"}
                assert events[i - 1].actor_id not in handlers


@pytest.mark.django_db
def test_workflow_state_machine(personas, district, cat):  # noqa: F811
    CaseMachine.ctx = {"personas": personas, "district": district, "cat": cat}
    run_state_machine_as_test(CaseMachine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_dispatchers_race_one_wins(transactional_db, personas, district, cat):  # noqa: F811
    case = report(personas.community_a, cat)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def dispatch(actor) -> None:
        try:
            mine = Case.objects.get(pk=case.pk)  # both read version 1 before either writes
            barrier.wait(timeout=10)
            svc.case_dispatch(actor=actor, case=mine, unit=district.department, expected_version=mine.version)
            results.append("won")
        except svc.ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(u,)) for u in (personas.community_a,
                                                                        personas.subdistrict_staff)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["conflict", "won"]
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED and case.version == 2
    assert CaseEvent.objects.filter(case=case, transition="dispatch").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_reports_get_distinct_numbers_on_a_fresh_day(transactional_db, personas, district, cat):  # noqa: F811
    """Four intakes at once, the day's counter row not yet there: each gets its own number, none fails."""
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    errors: list[Exception] = []

    def intake() -> None:
        try:
            barrier.wait(timeout=10)
            numbers.append(report(personas.community_a, cat).number)
        except Exception as exc:  # noqa: BLE001 (the test reports whatever broke)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and sorted(int(n[-5:]) for n in numbers) == [1, 2, 3, 4]
