"""User administration by the system administrator, and the separation of duties."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from conftest import PASSWORD
from jiceng.accounts.models import ApiToken, AuditEvent, Role, RoleGrant, User
from jiceng.accounts.services import api_token_create

NEW = {
    "username": "w_new",
    "full_name": "王新",
    "password1": "Bright-Moon-2026",
    "password2": "Bright-Moon-2026",
    "role": Role.COMMUNITY_STAFF,
    "area_code": "350102001002",
    "unit_code": "",
}


def test_sysadmin_creates_a_user_with_a_grant(personas, login, district):
    c = login(personas.sysadmin)
    response = c.post(reverse("accounts:user_new"), NEW)
    assert response.status_code == 302
    user = User.objects.get(username="w_new")
    grant = user.grants.get()
    assert grant.role == Role.COMMUNITY_STAFF and grant.area == district.b.area
    assert user.check_password("Bright-Moon-2026")
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor_name == "p_sysadmin" and "Bright" not in str(event.changes)
    # The new user can sign in.
    c.post("/accounts/logout/")
    assert c.post("/accounts/login/", {"username": "w_new", "password": "Bright-Moon-2026"}).status_code == 302


def test_create_user_field_errors(personas, login):
    c = login(personas.sysadmin)
    bad = dict(NEW, username="p_member", password2="other", area_code="999")
    response = c.post(reverse("accounts:user_new"), bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"username", "password2", "area_code"} <= set(errors)
    weak = c.post(reverse("accounts:user_new"), dict(NEW, password1="abcdefghij", password2="abcdefghij"))
    assert "password1" in weak.context["form"].errors
    dept = c.post(reverse("accounts:user_new"), dict(NEW, role=Role.DEPARTMENT_HANDLER, area_code=""))
    assert "unit_code" in dept.context["form"].errors
    handler = dict(NEW, role=Role.DEPARTMENT_HANDLER, area_code="", unit_code="DEPT-CG")
    ok = c.post(reverse("accounts:user_new"), handler)
    assert ok.status_code == 302
    assert User.objects.filter(username__startswith="w_").count() == 1


def test_user_list_filters_paginates_exports_in_fixed_queries(personas, login, django_assert_max_num_queries):
    c = login(personas.sysadmin)
    page = c.get(reverse("accounts:users"))
    assert {u.username for u in page.context["page"].object_list} >= {"p_member", "p_auditor"}
    only = c.get(reverse("accounts:users"), {"role": Role.AUDITOR})
    assert [u.username for u in only.context["page"].object_list] == ["p_auditor"]
    by_area = c.get(reverse("accounts:users"), {"area_code": "350102001002"})
    assert [u.username for u in by_area.context["page"].object_list] == ["p_community_b"]
    for i in range(30):
        u = User.objects.create_user(username=f"bulk{i:02d}", password=PASSWORD)
        RoleGrant.objects.create(user=u, role=Role.GRID_WORKER, area=personas.grid_worker.grants.get().area)
    c.get(reverse("accounts:users"))  # warm the session
    with django_assert_max_num_queries(8):
        response = c.get(reverse("accounts:users"), {"size": 20})
    assert len(response.context["page"].object_list) == 20
    with django_assert_max_num_queries(8):
        c.get(reverse("accounts:users"), {"size": 50})
    export = c.get(reverse("accounts:users"), {"format": "xlsx", "role": Role.AUDITOR})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["p_auditor"]
    assert AuditEvent.objects.filter(action="user.export").exists()


def test_deactivate_revokes_tokens_and_blocks_sign_in(personas, login, client):
    api_token_create(actor=None, user=personas.member, name="x")
    c = login(personas.sysadmin)
    c.post(reverse("accounts:user_active", args=[personas.member.pk]), {"active": "0"})
    assert not User.objects.get(pk=personas.member.pk).is_active
    assert not ApiToken.objects.filter(user=personas.member, revoked_at__isnull=True).exists()
    c.post(reverse("accounts:user_active", args=[personas.member.pk]), {"active": "1"})
    assert User.objects.get(pk=personas.member.pk).is_active
    assert list(AuditEvent.objects.filter(object_id=str(personas.member.pk), action__startswith="user.")
                .order_by("id").values_list("action", flat=True)) == ["user.deactivate", "user.activate"]


def test_admin_cannot_change_own_account(personas, login):
    c = login(personas.sysadmin)
    c.post(reverse("accounts:user_active", args=[personas.sysadmin.pk]), {"active": "0"})
    assert User.objects.get(pk=personas.sysadmin.pk).is_active
    c.post(reverse("accounts:grant_add", args=[personas.sysadmin.pk]), {"role": Role.AUDITOR, "area_code": "350102"})
    assert not RoleGrant.objects.filter(user=personas.sysadmin, role=Role.AUDITOR).exists()


def test_grants_add_and_remove(personas, login, district):
    c = login(personas.sysadmin)
    url = reverse("accounts:grant_add", args=[personas.community_b.pk])
    assert c.post(url, {"role": Role.COMMUNITY_STAFF, "area_code": district.c.area.code}).status_code == 302
    grant = RoleGrant.objects.get(user=personas.community_b, area=district.c.area)
    dup = c.post(url, {"role": Role.COMMUNITY_STAFF, "area_code": district.c.area.code})
    assert dup.status_code == 400
    c.post(reverse("accounts:grant_remove", args=[personas.community_b.pk, grant.pk]))
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEvent.objects.filter(action="grant.remove", changes__area=district.c.area.code).exists()


def test_admin_sets_a_password(personas, login):
    c = login(personas.sysadmin)
    url = reverse("accounts:user_password", args=[personas.member.pk])
    weak = c.post(url, {"password1": "password", "password2": "password"})
    assert weak.status_code == 400 and weak.context["password_form"].errors["password1"]
    c.post(url, {"password1": "Green-Field-2026", "password2": "Green-Field-2026"})
    assert User.objects.get(pk=personas.member.pk).check_password("Green-Field-2026")


def test_sysadmin_cannot_read_the_audit_log_nor_organization_data(personas, login):
    c = login(personas.sysadmin)
    assert c.get(reverse("accounts:audit")).status_code == 404
    assert c.get("/api/v1/accounts/audit").status_code == 404
    assert c.post(reverse("accounts:audit_verify")).status_code == 404


def test_auditor_reads_but_changes_nothing(personas, login):
    c = login(personas.auditor)
    assert c.get(reverse("accounts:audit")).status_code == 200
    before = User.objects.count()
    assert c.get(reverse("accounts:users")).status_code == 404
    assert c.post(reverse("accounts:user_new"), NEW).status_code == 404
    assert User.objects.count() == before
    assert c.post(reverse("accounts:user_active", args=[personas.member.pk]), {"active": "0"}).status_code == 404
    assert User.objects.get(pk=personas.member.pk).is_active
    assert c.post(reverse("accounts:grant_add", args=[personas.auditor.pk]),
                  {"role": Role.SYSTEM_ADMIN, "area_code": "350102"}).status_code == 404


def test_auditor_cannot_write_through_the_api(personas, login):
    """Every writing API operation of the project, called by the auditor, is refused and writes nothing
    (their own API tokens and marking their own notices read excepted: those are self-service, not data)."""
    from jiceng.api import api

    c = login(personas.auditor)
    schema = api.get_openapi_schema()
    writes_before = AuditEvent.objects.filter(kind="write").count()
    for path, ops in schema["paths"].items():
        if path.startswith(("/api/v1/accounts/tokens", "/api/v1/notify/notices")):
            continue
        for method in ops:
            if method.upper() not in {"POST", "PUT", "PATCH", "DELETE"}:
                continue
            url = path
            for name in [p["name"] for p in ops[method].get("parameters", []) if p["in"] == "path"]:
                url = url.replace("{" + name + "}", "1")
            response = getattr(c, method)(url, data={}, content_type="application/json")
            assert response.status_code in {400, 403, 404, 405, 422}, (method, path, response.status_code)
    assert AuditEvent.objects.filter(kind="write").count() == writes_before


def test_administrator_roles_are_never_combined(personas, login, district):
    c = login(personas.sysadmin)
    to_auditor = c.post(reverse("accounts:grant_add", args=[personas.auditor.pk]),
                        {"role": Role.COMMUNITY_STAFF, "area_code": district.a.area.code})
    assert to_auditor.status_code == 400 and to_auditor.context["grant_form"].errors
    to_staff = c.post(reverse("accounts:grant_add", args=[personas.community_a.pk]),
                      {"role": Role.AUDITOR, "area_code": district.district.code})
    assert to_staff.status_code == 400
    assert not RoleGrant.objects.filter(user=personas.community_a, role=Role.AUDITOR).exists()
    # The same role on another area is fine.
    more = c.post(reverse("accounts:grant_add", args=[personas.community_a.pk]),
                  {"role": Role.COMMUNITY_STAFF, "area_code": district.b.area.code})
    assert more.status_code == 302
