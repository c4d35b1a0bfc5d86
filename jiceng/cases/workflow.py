"""The case state machine: every allowed transition, and who may take it.

A case moves only by an entry of TRANSITIONS; case_services checks the map, the actor's role and scope
(through `may_act`) and the case's version before writing the new state and its event.
"""

from __future__ import annotations

from jiceng.accounts.models import Role
from jiceng.accounts.scope import Scope

from .case_models import CaseState as S

# Closed cases may be reopened (after an unsatisfied rating) within this many natural days.
REOPEN_WINDOW_DAYS = 15
# A stage due within this many hours is "near due".
NEAR_DUE_HOURS = 24

TRANSITIONS: dict[tuple[str, str], str] = {
    # Triage: a case with no grid or no unit. Staff send it to a unit themselves, or place it.
    (S.TRIAGE, "dispatch"): S.DISPATCHED,
    (S.TRIAGE, "route"): S.REGISTERED,
    (S.REGISTERED, "dispatch"): S.DISPATCHED,
    (S.RETURNED, "dispatch"): S.DISPATCHED,
    (S.DISPATCHED, "accept"): S.ACCEPTED,
    (S.DISPATCHED, "return"): S.RETURNED,
    (S.ACCEPTED, "return"): S.RETURNED,
    (S.ACCEPTED, "handle"): S.HANDLED,
    (S.ACCEPTED, "suspend"): S.SUSPENDED,
    (S.SUSPENDED, "resume"): S.ACCEPTED,
    (S.HANDLED, "verify"): S.VERIFIED,
    (S.HANDLED, "rework"): S.ACCEPTED,
    (S.VERIFIED, "close"): S.CLOSED,
    (S.CLOSED, "reopen"): S.REGISTERED,
}

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(a for _, a in TRANSITIONS))

_STAFF = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})
_APPROVERS = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF})
# Who reports: staff and grid workers (residents come through their own channel).
REPORTERS = _STAFF | {Role.GRID_WORKER}

# "area" roles act on cases in their area scope; "assignee" means the unit the case is dispatched to
# (a department handler of that unit) or, for a case dispatched to no unit, its grid's workers.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "dispatch": _STAFF,
    "route": _APPROVERS,
    "accept": frozenset({"assignee"}),
    "return": frozenset({"assignee"}),
    "handle": frozenset({"assignee"}),
    "suspend": _APPROVERS,  # a suspension is approved by the subdistrict or the district
    "resume": _APPROVERS,
    "verify": _STAFF | {Role.GRID_WORKER},
    "rework": _STAFF | {Role.GRID_WORKER},
    "close": _STAFF,
    "reopen": _STAFF,
}
# Actions a resident takes through the case's private link (no account): an unsatisfied rating reopens.
RESIDENT_ACTIONS = frozenset({"reopen"})
# Actions that judge the handler's work, so never taken by someone who reported it done (a grid worker
# handles the grid's own cases and is also a verifier): case_services refuses them, and the actions
# offered on the case page and in the API leave them out (case_selectors.case_detail).
NOT_BY_HANDLER = frozenset({"verify", "rework"})
# Actions that must say why.
NOTE_REQUIRED = frozenset({"return", "handle", "suspend", "rework", "reopen"})


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))


def is_assignee(scope: Scope, case) -> bool:
    if case.unit_id is not None:
        return Role.DEPARTMENT_HANDLER in scope.roles and case.unit_id in scope.unit_ids
    return Role.GRID_WORKER in scope.roles and bool(case.area_path) and scope.covers_path(case.area_path)


def covers(scope: Scope, case) -> bool:
    """Whether an area role of the user covers the case's place; an unplaced (triage) case is
    covered by the district administrator only."""
    if not case.area_path:
        return Role.DISTRICT_ADMIN in scope.roles
    return scope.covers_path(case.area_path)


def may_act(scope: Scope, case, action: str) -> bool:
    """Whether a user with `scope` may take `action` on `case` by role and scope (not by state)."""
    wanted = ACTION_ROLES.get(action, frozenset())
    if "assignee" in wanted and is_assignee(scope, case):
        return True
    area_roles = (wanted - {"assignee"}) & scope.roles
    return bool(area_roles) and covers(scope, case)


def allowed_actions(scope: Scope, case) -> list[str]:
    """The actions this user may take on the case now, in map order (none on a merged duplicate)."""
    if getattr(case, "merged_into_id", None):
        return []
    return [a for (s, a) in TRANSITIONS if s == case.state and may_act(scope, case, a)]
