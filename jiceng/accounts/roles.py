"""What each role may do. Permissions are plain strings checked by services and views.

Duties are separated (MLPS level 3): the system administrator manages accounts but reads
neither organization data nor the audit log; the auditor reads the audit log and changes nothing.
"""

from __future__ import annotations

from .models import Role

VIEW_ORG = "org.view"  # areas, Party organizations, units in scope
CHANGE_ORG = "org.change"
VIEW_PEOPLE = "people.view"
CHANGE_PEOPLE = "people.change"
REVEAL_PEOPLE = "people.reveal"  # see a full phone or ID number, with a reason
VIEW_SENSITIVE = "people.sensitive"
IMPORT = "data.import"
EXPORT = "data.export"
VIEW_AUDIT = "audit.view"
MANAGE_ACCOUNTS = "accounts.manage"
VIEW_SELF = "self.view"

_STAFF = {VIEW_ORG, CHANGE_ORG, VIEW_PEOPLE, CHANGE_PEOPLE, EXPORT}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(_STAFF | {REVEAL_PEOPLE, VIEW_SENSITIVE, IMPORT}),
    Role.SUBDISTRICT_STAFF: frozenset(_STAFF | {REVEAL_PEOPLE, IMPORT}),
    Role.COMMUNITY_STAFF: frozenset(_STAFF | {REVEAL_PEOPLE, VIEW_SENSITIVE, IMPORT}),
    Role.GRID_WORKER: frozenset({VIEW_ORG, VIEW_PEOPLE}),
    Role.DEPARTMENT_HANDLER: frozenset({VIEW_ORG}),
    Role.PARTY_MEMBER: frozenset({VIEW_SELF}),
    Role.AUDITOR: frozenset({VIEW_AUDIT}),
    Role.SYSTEM_ADMIN: frozenset({MANAGE_ACCOUNTS}),
}

# Where each role lands after signing in.
ROLE_HOME = {
    Role.DISTRICT_ADMIN: "areas:tree",
    Role.SUBDISTRICT_STAFF: "areas:tree",
    Role.COMMUNITY_STAFF: "people:search",
    Role.GRID_WORKER: "cases:inbox",
    Role.DEPARTMENT_HANDLER: "cases:inbox",
    Role.PARTY_MEMBER: "people:me",
    Role.AUDITOR: "accounts:audit",
    Role.SYSTEM_ADMIN: "accounts:users",
}
# When a user holds several roles, the first in this order picks the home page.
ROLE_ORDER = list(ROLE_HOME)
