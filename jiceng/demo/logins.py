"""The demo logins: one per persona of DESIGN.md, all with settings.DEMO_PASSWORD."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (username, description) in the order `jiceng up` prints them.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("district", _("district administrator, all of 鼓楼区")),
    ("subdistrict", _("subdistrict staff, 东街街道")),
    ("community", _("community staff, 军门社区")),
    ("community_b", _("community staff, 钱塘社区 (sees nothing of 军门社区)")),
    ("grid", _("grid worker, 军门社区 first grid")),
    ("department", _("department handler, 区城市管理局")),
    ("member", _("Party member living in 军门社区")),
    ("auditor", _("auditor (reads the audit log, changes nothing)")),
    ("sysadmin", _("system administrator (accounts only)")),
]
