"""/api/v1/accounts and API authentication: bearer tokens, session with CSRF."""

from __future__ import annotations

from django.test import Client

from jiceng.accounts.models import ApiToken, AuditEvent
from jiceng.accounts.services import api_token_create, api_token_revoke

ME = "/api/v1/accounts/me"
TOKENS = "/api/v1/accounts/tokens"


def _bearer(value: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def test_anonymous_is_refused(client, db):
    assert client.get(ME).status_code == 401


def test_bearer_token_works_and_a_revoked_one_fails(personas):
    token, value = api_token_create(actor=None, user=personas.community_a, name="gis")
    c = Client()
    response = c.get(ME, **_bearer(value))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "p_community_a"
    assert body["roles"] == ["community_staff"]
    assert body["scope"] == ["350102001001"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert c.get(ME, **_bearer(value + "x")).status_code == 401
    api_token_revoke(actor=None, token=token)
    assert c.get(ME, **_bearer(value)).status_code == 401


def test_token_of_a_deactivated_user_fails(personas):
    _token, value = api_token_create(actor=None, user=personas.member)
    personas.member.is_active = False
    personas.member.save()
    assert Client().get(ME, **_bearer(value)).status_code == 401


def test_only_the_digest_is_stored(personas):
    token, value = api_token_create(actor=None, user=personas.member)
    assert not ApiToken.objects.filter(digest=value).exists()
    assert value not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_session_post_without_csrf_is_rejected(personas):
    c = Client(enforce_csrf_checks=True)
    c.force_login(personas.member)
    assert c.post(TOKENS, {"name": "x"}, content_type="application/json").status_code == 403
    assert not ApiToken.objects.filter(user=personas.member).exists()
    c.get("/accounts/profile/")  # the page sets the CSRF cookie
    csrf = c.cookies["csrftoken"].value
    ok = c.post(TOKENS, {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert ok.status_code == 201
    assert ok.json()["token"].startswith("jc_")


def test_bearer_requests_need_no_csrf_but_cannot_mint_tokens(personas):
    _token, value = api_token_create(actor=None, user=personas.member)
    c = Client(enforce_csrf_checks=True)
    response = c.post(TOKENS, {"name": "more"}, content_type="application/json", **_bearer(value))
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=personas.member).count() == 1
    assert c.get(TOKENS, **_bearer(value)).status_code == 200


def test_own_tokens_list_create_revoke(personas, login):
    c = login(personas.member)
    created = c.post(TOKENS, {"name": "report"}, content_type="application/json").json()
    listed = c.get(TOKENS).json()
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    assert c.delete(f"{TOKENS}/{created['id']}").status_code == 204
    assert c.get(TOKENS).json()[0]["revoked_at"] is not None
    # Someone else's token reads as not found.
    other, _ = api_token_create(actor=None, user=personas.auditor)
    assert c.delete(f"{TOKENS}/{other.pk}").status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


def test_audit_api_for_auditor_only(personas, login, django_assert_max_num_queries):
    from jiceng.accounts.audit import audit_record

    for i in range(30):
        audit_record(actor=personas.community_a, action="person.update", object_type="people.person", object_id=i)
    audit_record(actor=personas.community_b, action="area.update", object_type="areas.area", object_id=1)
    c = login(personas.auditor)
    c.get(ME)
    with django_assert_max_num_queries(6):
        body = c.get("/api/v1/accounts/audit", {"page_size": 20}).json()
    assert body["count"] >= 31 and len(body["items"]) == 20
    only = c.get("/api/v1/accounts/audit", {"actor": "p_community_b"}).json()
    assert [e["action"] for e in only["items"]] == ["area.update"]
    assert only["items"][0]["actor"] == "p_community_b"
    by_object = c.get("/api/v1/accounts/audit", {"object_type": "people.person", "object_id": "5"}).json()
    assert by_object["count"] == 1
    assert c.get("/api/v1/accounts/audit", {"kind": "bogus"}).status_code == 422
    for persona in ("sysadmin", "district_admin", "community_a", "member"):
        assert login(getattr(personas, persona)).get("/api/v1/accounts/audit").status_code == 404
