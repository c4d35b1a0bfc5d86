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


# Links that stand for a section whose other pages sit beside them rather than under them: the section is
# the link's parent path (双报到 links to /party/dualreg/registrations/ and stands for /party/dualreg/
# buildings/, items/, records/...; without this those pages lit 党组织, whose /party/ is their prefix).
SECTION_IS_PARENT = {"party:dualreg_registrations"}


def _section(name: str, url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0] + "/" if name in SECTION_IS_PARENT else url


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    items = []
    for name, label, perm in NAVIGATION:
        if scope.allows(perm):
            url = reverse(name)
            items.append({"url": url, "label": label, "active": False, "section": _section(name, url)})
    # The longest matching section is the current one (/party/dues/ is not /party/; /party/dualreg/me/,
    # the member's own, is not /party/dualreg/).
    matching = [item for item in items if request.path.startswith(item["section"])]
    if matching:
        max(matching, key=lambda item: len(item["section"]))["active"] = True
    return {"nav_items": items, "user_scope": scope}
