from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for

# (url name, label, permission needed)
NAVIGATION = [
    ("cases:inbox", _("Cases"), roles.VIEW_ORG),
    ("cases:whistles", _("Whistles"), roles.VIEW_ORG),
    ("cases:metrics", _("Metrics"), roles.VIEW_ORG),
    ("areas:tree", _("Area tree"), roles.VIEW_ORG),
    ("areas:map", _("Map"), roles.VIEW_ORG),
    ("party:tree", _("Party organizations"), roles.VIEW_ORG),
    ("units:list", _("Units"), roles.VIEW_ORG),
    ("people:search", _("People"), roles.VIEW_PEOPLE),
    ("cases:supervision", _("Supervision"), roles.VIEW_ORG),
    ("cases:taxonomy", _("Case categories"), roles.VIEW_ORG),
    ("core:import", _("Import"), roles.IMPORT),
    ("party:meetings", _("Meetings"), roles.VIEW_ORG),
    ("party:dues", _("Party dues"), roles.VIEW_PEOPLE),
    ("party:points", _("Points"), roles.VIEW_PEOPLE),
    ("party:boards", _("Identity boards"), roles.VIEW_ORG),
    ("party:dualreg_registrations", _("Dual registration"), roles.VIEW_ORG),
    ("people:me", _("My page"), roles.VIEW_SELF),
    ("party:dues_me", _("My dues"), roles.VIEW_SELF),
    ("party:points_me", _("My points"), roles.VIEW_SELF),
    ("party:dualreg_me", _("My service"), roles.VIEW_SELF),
    ("accounts:audit", _("Audit log"), roles.VIEW_AUDIT),
    ("accounts:users", _("Users"), roles.MANAGE_ACCOUNTS),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    items = [
        {"url": reverse(name), "label": label, "active": False}
        for name, label, perm in NAVIGATION
        if scope.allows(perm)
    ]
    # The longest matching link is the current section (/party/dues/ is not /party/).
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items, "user_scope": scope}
