"""Dual registration and claim → record → confirmation as hypothesis state machines.

Each rule calls the real service as a real user (the member, community A's staff, or community B's, who
must always be refused), sometimes from a stale copy with an old version, as a second user would hold it.
Invariants after every step: the stored state equals the last event's; every event chain follows the
declared map; the model the test keeps agrees with the database; capacity is never exceeded; the confirmed
hours the member and the dual report see equal the sum of the confirmed records.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from jiceng.party import dualreg_selectors as sel
from jiceng.party import dualreg_services as svc
from jiceng.party.dualreg_models import (
    CLAIM_TRANSITIONS,
    REGISTRATION_TRANSITIONS,
    ClaimEvent,
    ClaimState,
    Registration,
    RegistrationEvent,
    RegistrationState,
    ServiceClaim,
    ServiceItem,
)

from .dualreg_world import item, member_user

pytestmark = pytest.mark.django_db(transaction=False)
RUN = settings(max_examples=15, stateful_step_count=15, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
R = RegistrationState


def _chain_follows(events, transitions) -> bool:
    """The first event creates (from ""), and each next one moves from the previous one's state by the map."""
    if not events or events[0].from_state != "":
        return False
    for before, after in zip(events, events[1:], strict=False):
        if after.from_state != before.to_state or after.to_state not in transitions[before.to_state]:
            return False
    return [e.version for e in events] == list(range(1, len(events) + 1))


class _Savepoint(RuleBasedStateMachine):
    """Each run inside a savepoint rolled back at teardown, so runs do not see each other's rows."""

    district = personas = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)


class RegistrationMachine(_Savepoint):
    @initialize()
    def start(self):
        self.expected: dict[int, str] = {}  # registration id → state the test expects
        self.current: int | None = None  # the member's registration not revoked

    def _reg(self, stale: bool) -> Registration | None:
        if self.current is None:
            return None
        reg = Registration.objects.get(pk=self.current)
        if stale:
            reg.version -= 1  # as held by someone who loaded it before the last move
        return reg

    def _try(self, action, target: str, reg: Registration | None, stale: bool, *, allowed_actor: bool = True):
        if reg is None:
            return
        state = self.expected[reg.pk]
        legal = target in REGISTRATION_TRANSITIONS[state] and not stale
        if not allowed_actor:
            with pytest.raises(PermissionDenied):
                action(reg)
        elif legal:
            action(reg)
            self.expected[reg.pk] = target
            if target == R.REVOKED:
                self.current = None
        else:
            with pytest.raises(ValidationError):
                action(reg)

    @rule()
    def request(self):
        if self.current is not None:
            with pytest.raises(ValidationError):
                svc.registration_request_member(actor=self.personas.member)
            return
        reg = svc.registration_request_member(actor=self.personas.member)
        self.expected[reg.pk], self.current = R.REQUESTED, reg.pk

    @rule(stale=st.booleans())
    def confirm(self, stale):
        self._try(lambda r: svc.registration_confirm(actor=self.personas.community_a, registration=r,
                                                     version=r.version), R.CONFIRMED, self._reg(stale), stale)

    @rule(stale=st.booleans(), reason=st.sampled_from(["", "住址不符", "  "]))
    def return_(self, stale, reason):
        reg = self._reg(stale)
        if reg is not None and not reason.strip():
            with pytest.raises(ValidationError):
                svc.registration_return(actor=self.personas.community_a, registration=reg, reason=reason)
            return
        self._try(lambda r: svc.registration_return(actor=self.personas.community_a, registration=r, reason=reason,
                                                    version=r.version), R.RETURNED, reg, stale)

    @rule(stale=st.booleans())
    def resubmit(self, stale):
        self._try(lambda r: svc.registration_resubmit(actor=self.personas.member, registration=r,
                                                      version=r.version), R.REQUESTED, self._reg(stale), stale)

    @rule(stale=st.booleans(), by_member=st.booleans())
    def revoke(self, stale, by_member):
        actor = self.personas.member if by_member else self.personas.community_a
        self._try(lambda r: svc.registration_revoke(actor=actor, registration=r, version=r.version), R.REVOKED,
                  self._reg(stale), stale)

    @rule()
    def other_community_is_refused(self):
        self._try(lambda r: svc.registration_confirm(actor=self.personas.community_b, registration=r), R.CONFIRMED,
                  self._reg(False), False, allowed_actor=False)

    @invariant()
    def state_is_the_last_event_and_chains_follow_the_map(self):
        if not hasattr(self, "expected"):
            return
        for reg in Registration.objects.all():
            events = list(RegistrationEvent.objects.filter(registration=reg).order_by("id"))
            assert reg.state == events[-1].to_state == self.expected[reg.pk]
            assert reg.version == events[-1].version
            assert _chain_follows(events, REGISTRATION_TRANSITIONS)
        assert Registration.objects.exclude(state=R.REVOKED).count() <= 1


def test_registration_state_machine(district, personas):
    RegistrationMachine.district, RegistrationMachine.personas = district, personas
    run_state_machine_as_test(RegistrationMachine, settings=RUN)


class ClaimMachine(_Savepoint):
    @initialize()
    def start(self):
        self.members = [self.personas.member, *self.extra_members]
        self.items = [item(self.district, capacity=1, title="助老"), item(self.district, capacity=2, title="清扫")]
        self.expected: dict[int, str] = {}
        self.hours: dict[int, Decimal] = {}
        self.current: dict[tuple[int, int], int] = {}  # (member idx, item idx) → live claim id

    def _claim(self, m: int, i: int) -> ServiceClaim | None:
        pk = self.current.get((m, i))
        return ServiceClaim.objects.select_related("item").get(pk=pk) if pk else None

    @rule(m=st.integers(0, 2), i=st.integers(0, 1))
    def claim(self, m, i):
        it = ServiceItem.objects.get(pk=self.items[i].pk)
        live = sum(1 for (_, ii), pk in self.current.items() if ii == i)
        if (m, i) in self.current or live >= it.capacity:
            with pytest.raises(ValidationError):
                svc.service_claim_create(actor=self.members[m], item=self.items[i])  # a stale item object
            return
        claim = svc.service_claim_create(actor=self.members[m], item=self.items[i])
        self.expected[claim.pk], self.current[(m, i)] = ClaimState.CLAIMED, claim.pk

    def _move(self, m, i, target, call, stale=False):
        claim = self._claim(m, i)
        if claim is None:
            return
        if stale:
            claim.version -= 1
        if target in CLAIM_TRANSITIONS[self.expected[claim.pk]] and not stale:
            call(claim)
            self.expected[claim.pk] = target
            if target == ClaimState.WITHDRAWN:
                del self.current[(m, i)]
        else:
            with pytest.raises(ValidationError):
                call(claim)

    @rule(m=st.integers(0, 2), i=st.integers(0, 1), tenths=st.integers(1, 80), stale=st.booleans())
    def record(self, m, i, tenths, stale):
        hours = Decimal(tenths) / 10
        claim = self._claim(m, i)
        self._move(m, i, ClaimState.RECORDED, lambda c: svc.service_record_submit(
            actor=self.members[m], claim=c, served_on=timezone.localdate(), hours=hours, beneficiary="居民",
            version=c.version), stale)
        if claim is not None and self.expected[claim.pk] == ClaimState.RECORDED:
            self.hours[claim.pk] = ServiceClaim.objects.get(pk=claim.pk).hours

    @rule(m=st.integers(0, 2), i=st.integers(0, 1), stale=st.booleans())
    def confirm(self, m, i, stale):
        self._move(m, i, ClaimState.CONFIRMED, lambda c: svc.service_claim_confirm(
            actor=self.personas.community_a, claim=c, version=c.version), stale)

    @rule(m=st.integers(0, 2), i=st.integers(0, 1))
    def return_(self, m, i):
        self._move(m, i, ClaimState.RETURNED, lambda c: svc.service_claim_return(
            actor=self.personas.community_a, claim=c, reason="请补充", version=c.version))

    @rule(m=st.integers(0, 2), i=st.integers(0, 1))
    def withdraw(self, m, i):
        self._move(m, i, ClaimState.WITHDRAWN, lambda c: svc.service_claim_withdraw(
            actor=self.members[m], claim=c, version=c.version))

    @rule(m=st.integers(0, 2), i=st.integers(0, 1))
    def other_community_is_refused(self, m, i):
        claim = self._claim(m, i)
        if claim is not None:
            with pytest.raises(PermissionDenied):
                svc.service_claim_confirm(actor=self.personas.community_b, claim=claim)

    @invariant()
    def invariants(self):
        if not hasattr(self, "expected"):
            return
        for claim in ServiceClaim.objects.all():
            events = list(ClaimEvent.objects.filter(claim=claim).order_by("id"))
            assert claim.state == events[-1].to_state == self.expected[claim.pk]
            assert _chain_follows(events, CLAIM_TRANSITIONS)
        for it in ServiceItem.objects.all():
            live = ServiceClaim.objects.filter(item=it).exclude(state=ClaimState.WITHDRAWN).count()
            assert it.claimed == live <= it.capacity
        confirmed = {pk for pk, s in self.expected.items() if s == ClaimState.CONFIRMED}
        expected_hours = sum((self.hours[pk] for pk in confirmed), Decimal(0))
        report = sel.dual_report(self.personas.district_admin, year=timezone.localdate().year)
        assert report.total_hours == expected_hours
        assert sum((r.hours for r in report.records), Decimal(0)) == expected_hours
        seen = sum((sel.member_home(svc.member_for_actor(u)).confirmed_hours for u in self.members), Decimal(0))
        assert seen == expected_hours


def test_claim_record_confirm_state_machine(district, personas):
    ClaimMachine.district, ClaimMachine.personas = district, personas
    ClaimMachine.extra_members = [member_user(district, 1), member_user(district, 2)]
    run_state_machine_as_test(ClaimMachine, settings=RUN)
