"""Every dual registration page and API operation, with who may and who may not reach it.

The objects: the `member` persona's registration with community A, an item of community A's service list,
the persona's claim of it (recorded, with a photo) and a pledge; the hospital's Party committee (a resident
unit's, anchored in community B) for the workplace side. Staff see a registration or claim from the
community's side or the workplace organization's; only community A's staff and those above may decide
on community A's. The grid worker (grid A1) sees the persona's registration through the persona's branch
(compound A1a) but may not decide it, nor see any community's building view.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from jiceng.party.dualreg_models import Pledge, Registration, ServiceCategory, ServiceClaim, ServiceItem
from jiceng.party.models import Member
from jiceng.testing import PERSONAS, AccessCase

from .dualreg_world import hospital_org

API = "/api/v1/party/dualreg"
VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_VIEW = ("member", "auditor", "sysadmin")
MEMBER = ("member",)
NOT_MEMBER = tuple(p for p in PERSONAS if p != "member")
A_DECIDERS = ("district_admin", "subdistrict_staff", "community_a")
A_DECIDE_DENIED = ("community_b", "grid_worker", "department", *NO_VIEW)
A_WATCHERS = ("district_admin", "subdistrict_staff", "community_a", "department")
A_WATCH_DENIED = ("community_b", "grid_worker", *NO_VIEW)
HOSPITAL_CHANGERS = ("district_admin", "subdistrict_staff", "community_b")
HOSPITAL_DENIED = ("community_a", "grid_worker", "department", *NO_VIEW)


def _member(d) -> Member:
    return Member.objects.select_related("person").get(person=d.a.resident)


def _registration(d) -> Registration:
    member = _member(d)
    reg = Registration.objects.filter(member=member).first()
    if reg is None:
        reg = Registration.objects.create(kind="member", org=member.org, member=member, community=d.a.area,
                                          community_path=d.a.area.path, org_path=member.area_path,
                                          requested_at=timezone.now())
    return reg


def _item(d) -> ServiceItem:
    today = timezone.localdate()
    item, _ = ServiceItem.objects.get_or_create(
        community=d.a.area, title="楼道清扫",
        defaults={"community_path": d.a.area.path, "category": ServiceCategory.ENVIRONMENT, "capacity": 5,
                  "starts_on": today - timedelta(days=30), "ends_on": today + timedelta(days=30)})
    return item


def _claim(d) -> ServiceClaim:
    """The persona's claim, recorded with a photo (so the photo route has something to serve)."""
    item, member = _item(d), _member(d)
    claim = ServiceClaim.objects.filter(item=item, member=member).first()
    if claim is None:
        claim = ServiceClaim.objects.create(item=item, member=member, community_path=item.community_path,
                                            org_path=member.area_path, claimed_at=timezone.now(),
                                            state="recorded", served_on=timezone.localdate(), hours=1,
                                            beneficiary="居民")
        buf = io.BytesIO()
        Image.new("RGB", (2, 2)).save(buf, "PNG")
        claim.photo.save("access.png", ContentFile(buf.getvalue()), save=False)
        claim.photo_type = "image/png"
        claim.save()
    return claim


def _pledge(d) -> Pledge:
    member = _member(d)
    pledge, _ = Pledge.objects.get_or_create(
        member=member, text="每月清理楼道",
        defaults={"community": d.a.area, "community_path": d.a.area.path, "org_path": member.area_path,
                  "due_on": timezone.localdate() + timedelta(days=30)})
    return pledge


def _page(name: str, *args) -> str:
    return reverse(f"party:{name}", args=args)


def _hospital(d) -> int:
    return hospital_org(d).pk


CASES = [
    # The member's pages
    AccessCase(route="party:dualreg_me", url=lambda d: _page("dualreg_me"), allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_register", url=lambda d: _page("dualreg_me_register"), method="post",
               allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_registration",
               url=lambda d: _page("dualreg_me_registration", _registration(d).pk), method="post",
               data={"action": "resubmit"}, allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_claim", url=lambda d: _page("dualreg_me_claim", _item(d).pk),
               method="post", allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_withdraw", url=lambda d: _page("dualreg_me_withdraw", _claim(d).pk),
               method="post", data={"version": "0"}, allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_record", url=lambda d: _page("dualreg_me_record", _claim(d).pk),
               allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_pledge", url=lambda d: _page("dualreg_me_pledge"), method="post",
               data={"text": "", "due_on": ""}, allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route="party:dualreg_me_fulfil", url=lambda d: _page("dualreg_me_fulfil", _pledge(d).pk),
               method="post", data={"fulfilment": ""}, allowed=MEMBER, denied=NOT_MEMBER),
    # The community's and the workplace organization's pages
    AccessCase(route="party:dualreg_registrations", url=lambda d: _page("dualreg_registrations"),
               allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(route="party:dualreg_org_new", url=lambda d: _page("dualreg_org_new") if _hospital(d) else "",
               allowed=HOSPITAL_CHANGERS, denied=HOSPITAL_DENIED),
    AccessCase(route="party:dualreg_registration_move",
               url=lambda d: _page("dualreg_registration_move", _registration(d).pk), method="post",
               data={"action": "confirm"}, allowed=A_DECIDERS, denied=A_DECIDE_DENIED),
    AccessCase(route="party:dualreg_buildings", url=lambda d: f"{_page('dualreg_buildings')}?community={d.a.area.pk}",
               allowed=A_WATCHERS, denied=A_WATCH_DENIED),
    AccessCase(route="party:dualreg_items", url=lambda d: _page("dualreg_items"), allowed=VIEWERS, denied=NO_VIEW),
    # Community B's staff may publish in their own community: the form answers them (with errors).
    AccessCase(route="party:dualreg_items", url=lambda d: _page("dualreg_items"), method="post",
               data={"title": ""}, allowed=(*A_DECIDERS, "community_b"),
               denied=("grid_worker", "department", *NO_VIEW)),
    AccessCase(route="party:dualreg_records", url=lambda d: _page("dualreg_records"), allowed=VIEWERS,
               denied=NO_VIEW),
    AccessCase(route="party:dualreg_record_move", url=lambda d: _page("dualreg_record_move", _claim(d).pk),
               method="post", data={"action": "return", "reason": ""}, allowed=A_DECIDERS, denied=A_DECIDE_DENIED),
    AccessCase(route="party:dualreg_record_photo", url=lambda d: _page("dualreg_record_photo", _claim(d).pk),
               allowed=("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department", "member"),
               denied=("community_b", "auditor", "sysadmin")),
    AccessCase(route="party:dualreg_pledges", url=lambda d: _page("dualreg_pledges"), allowed=VIEWERS,
               denied=NO_VIEW),
    AccessCase(route="party:dualreg_report", url=lambda d: _page("dualreg_report"), allowed=VIEWERS,
               denied=NO_VIEW),
    # API
    AccessCase(route=f"api:GET {API}/registrations", url=lambda d: f"{API}/registrations", allowed=VIEWERS,
               denied=NO_VIEW),
    AccessCase(route=f"api:GET {API}/registrations/counts", url=lambda d: f"{API}/registrations/counts",
               allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(route=f"api:POST {API}/registrations/me", url=lambda d: f"{API}/registrations/me", method="post",
               allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route=f"api:POST {API}/orgs/{{org_id}}/registrations/{{community_id}}",
               url=lambda d: f"{API}/orgs/{_hospital(d)}/registrations/{d.a.area.pk}", method="post",
               allowed=HOSPITAL_CHANGERS, denied=HOSPITAL_DENIED),
    AccessCase(route=f"api:POST {API}/registrations/{{registration_id}}/move",
               url=lambda d: f"{API}/registrations/{_registration(d).pk}/move", method="post",
               data={"action": "confirm"}, allowed=A_DECIDERS, denied=A_DECIDE_DENIED),
    AccessCase(route=f"api:GET {API}/buildings/{{community_id}}", url=lambda d: f"{API}/buildings/{d.a.area.pk}",
               allowed=A_WATCHERS, denied=A_WATCH_DENIED),
    AccessCase(route=f"api:GET {API}/items", url=lambda d: f"{API}/items", allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(route=f"api:POST {API}/communities/{{community_id}}/items",
               url=lambda d: f"{API}/communities/{d.a.area.pk}/items", method="post",
               data={"title": "助老", "category": "elderly", "capacity": 2,
                     "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
               allowed=A_DECIDERS, denied=A_DECIDE_DENIED),
    AccessCase(route=f"api:POST {API}/items/{{item_id}}/claim", url=lambda d: f"{API}/items/{_item(d).pk}/claim",
               method="post", allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route=f"api:GET {API}/claims", url=lambda d: f"{API}/claims", allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(route=f"api:POST {API}/claims/{{claim_id}}/record", url=lambda d: f"{API}/claims/{_claim(d).pk}/record",
               method="post", data={"served_on": "2026-01-02", "hours": "1.5", "beneficiary": "居民"},
               allowed=MEMBER, denied=NOT_MEMBER),
    # Sent as JSON, the form's fields are missing: the service refuses the member with 422, nothing recorded.
    AccessCase(route=f"api:POST {API}/claims/{{claim_id}}/record/photo",
               url=lambda d: f"{API}/claims/{_claim(d).pk}/record/photo", method="post", allowed=MEMBER,
               denied=NOT_MEMBER),
    AccessCase(route=f"api:POST {API}/claims/{{claim_id}}/move", url=lambda d: f"{API}/claims/{_claim(d).pk}/move",
               method="post", data={"action": "confirm"}, allowed=A_DECIDERS, denied=A_DECIDE_DENIED),
    AccessCase(route=f"api:GET {API}/pledges", url=lambda d: f"{API}/pledges", allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(route=f"api:POST {API}/pledges", url=lambda d: f"{API}/pledges", method="post",
               data={"text": "每周巡楼", "due_on": "2099-01-01"}, allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route=f"api:POST {API}/pledges/{{pledge_id}}/fulfil",
               url=lambda d: f"{API}/pledges/{_pledge(d).pk}/fulfil", method="post",
               data={"fulfilment": "已做", "fulfilled_on": "2026-01-02"}, allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route=f"api:GET {API}/me", url=lambda d: f"{API}/me", allowed=MEMBER, denied=NOT_MEMBER),
    AccessCase(route=f"api:GET {API}/report", url=lambda d: f"{API}/report", allowed=VIEWERS, denied=NO_VIEW),
]
