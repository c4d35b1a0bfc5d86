"""Duplicate suggestions (Chinese text, distance, time window, category) and merging duplicates."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from jiceng.accounts.models import AuditEvent
from jiceng.accounts.scope import scope_for
from jiceng.cases import case_services as svc
from jiceng.cases import duplicate_selectors as dup
from jiceng.cases import workflow
from jiceng.cases.case_services import ConflictError
from jiceng.cases.merge_services import case_merge
from jiceng.cases.models import Case, Category

pytestmark = pytest.mark.django_db
LAMP_1 = "小区门口的路灯坏了，晚上一片漆黑，走路很危险"
LAMP_2 = "3号楼前面那盏路灯不亮了好几天，请尽快修理"
COVER = "楼下的井盖丢了，很危险"
STALLS = "菜市场门口有人占道经营，堵住了通道"
SMOKE_1 = "楼下烧烤店油烟太大，熏得没法开窗"
SMOKE_2 = "一楼烧烤店排放油烟，家里全是油烟味"
NOISE = "楼上装修噪音太大，中午也在施工"
POINT = (26.085, 119.305)  # inside grid A1
# One degree of latitude is about 111 km: 0.0009° ≈ 100 m, 0.0027° ≈ 300 m.


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cats(district):
    add = Category.objects.add_root
    c01 = add({"code": "C01", "name": "公用设施", "case_class": "component"})
    lamp = Category.objects.add_child(c01, {"code": "C0108", "name": "路灯", "case_class": "component"})
    cover = Category.objects.add_child(c01, {"code": "C0101", "name": "上水井盖", "case_class": "component"})
    e05 = add({"code": "E05", "name": "街面秩序", "case_class": "event"})
    stalls = Category.objects.add_child(e05, {"code": "E0501", "name": "占道经营", "case_class": "event"})
    return {"lamp": lamp, "cover": cover, "stalls": stalls, "c01": c01}


def report(actor, category, text, point=POINT, **kw) -> Case:
    lat, lng = point if point else (None, None)
    return svc.case_report(actor=actor, channel="staff", category=category, description=text, lat=lat, lng=lng, **kw)


def test_same_streetlight_phrased_differently_is_similar_unrelated_is_not():
    assert dup.text_similarity(LAMP_1, LAMP_2) >= dup.MIN_TEXT
    assert dup.text_similarity(SMOKE_1, SMOKE_2) >= dup.MIN_TEXT
    for a, b in ((LAMP_1, COVER), (LAMP_1, STALLS), (SMOKE_1, NOISE)):
        assert dup.text_similarity(a, b) < dup.MIN_TEXT, (a, b)


def test_candidates_match_nearby_similar_reports_with_reasons(personas, cats):
    first = report(personas.community_a, cats["lamp"], LAMP_1)
    report(personas.community_a, cats["cover"], COVER)  # same major class and place, other problem
    second = report(personas.community_a, cats["lamp"], LAMP_2, point=(POINT[0] + 0.0009, POINT[1]))
    found = dup.duplicate_candidates(personas.community_a, second)
    assert [c.case for c in found] == [first]
    cand = found[0]
    assert 90 < cand.distance_m < 110 and 0 < cand.score <= 1
    assert any("similar text" in r for r in cand.reasons) and "same category" in cand.reasons


def test_draft_before_saving_finds_the_case(personas, cats):
    first = report(personas.community_a, cats["lamp"], LAMP_1)
    probe = dup.Probe(category=cats["lamp"], description=LAMP_2, created_at=timezone.now(), lat=POINT[0],
                      lng=POINT[1])
    assert [c.case for c in dup.duplicate_candidates(personas.community_a, probe)] == [first]


@pytest.mark.parametrize(("metres", "days", "expected"), [
    (180, 0, True), (300, 0, False), (0, 6.9, True), (0, 7.1, False)])
def test_distance_and_time_window_edges(personas, cats, metres, days, expected):
    first = report(personas.community_a, cats["lamp"], LAMP_1)
    Case.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=days))
    probe = dup.Probe(category=cats["lamp"], description=LAMP_2, created_at=timezone.now(),
                      lat=POINT[0] + metres / 111_195, lng=POINT[1])
    assert bool(dup.duplicate_candidates(personas.community_a, probe)) is expected


def test_other_major_class_closed_merged_and_out_of_scope_cases_are_no_candidates(personas, district, cats):
    report(personas.community_a, cats["stalls"], LAMP_1)  # same words, unrelated class
    probe = dup.Probe(category=cats["lamp"], description=LAMP_2, created_at=timezone.now(), lat=POINT[0],
                      lng=POINT[1])
    assert dup.duplicate_candidates(personas.community_a, probe) == []
    report(personas.community_a, cats["lamp"], LAMP_1)
    assert dup.duplicate_candidates(personas.community_b, probe) == []  # community B sees nothing of A


def test_candidates_run_a_fixed_number_of_queries(personas, cats, django_assert_max_num_queries):
    target = report(personas.community_a, cats["lamp"], LAMP_2)
    for n in (2, 12):
        while Case.objects.count() < n:
            report(personas.community_a, cats["lamp"], LAMP_1)
        probe = Case.objects.select_related("category", "building").get(pk=target.pk)
        with django_assert_max_num_queries(1):
            assert dup.duplicate_candidates(personas.community_a, probe)
        cases = list(Case.objects.select_related("category", "building").all())
        with django_assert_max_num_queries(1):
            many = dup.duplicate_candidates_many(personas.community_a, cases)
        assert len(many) == n


# --- merging ------------------------------------------------------------------------------------------


def test_merge_links_both_ways_closes_the_duplicate_and_records_it(personas, cats):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    dupe = report(personas.community_a, cats["lamp"], LAMP_2)
    merged = case_merge(actor=personas.community_a, case=dupe, into=target, expected_version=dupe.version,
                        note="同一盏路灯")
    assert merged.state == "closed" and merged.merged_into == target and merged.closed_at is not None
    assert list(target.merged.all()) == [merged]
    assert dup.case_followed(merged) == target and dup.case_followed(target) == target
    last = merged.events.order_by("-seq").first()
    assert (last.transition, last.from_state, last.to_state, last.data) == (
        "merge", "triage", "closed", {"into": target.number})
    absorbed = target.events.order_by("-seq").first()
    assert absorbed.transition == "merged_in" and absorbed.data["case"] == merged.number
    target.refresh_from_db()
    assert target.state == "triage"  # the target's own work goes on
    assert AuditEvent.objects.filter(action="case.merge", changes__into=target.number).count() == 1
    # A merged duplicate takes no action of its own and shows none.
    assert workflow.allowed_actions(scope_for(personas.district_admin), merged) == []
    with pytest.raises(ConflictError):
        svc.case_reopen(actor=personas.community_a, case=merged, expected_version=merged.version, note="x")
    # Counted once: what the metrics count excludes merged cases.
    assert Case.objects.filter(merged_into__isnull=True).count() == 1


def test_merging_into_a_merged_case_or_itself_or_a_closed_case_is_refused(personas, cats):
    a = report(personas.community_a, cats["lamp"], LAMP_1)
    b = report(personas.community_a, cats["lamp"], LAMP_2)
    c = report(personas.community_a, cats["lamp"], LAMP_2)
    with pytest.raises(ValidationError):
        case_merge(actor=personas.community_a, case=a, into=a, expected_version=a.version)
    b = case_merge(actor=personas.community_a, case=b, into=a, expected_version=b.version)
    with pytest.raises(ValidationError) as exc:
        case_merge(actor=personas.community_a, case=c, into=b, expected_version=c.version)
    assert a.number in str(exc.value)
    with pytest.raises(ConflictError):
        case_merge(actor=personas.community_a, case=b, into=c, expected_version=b.version)


def test_earlier_merges_follow_the_new_target(personas, cats):
    a = report(personas.community_a, cats["lamp"], LAMP_1)
    b = report(personas.community_a, cats["lamp"], LAMP_2)
    c = report(personas.community_a, cats["lamp"], LAMP_2)
    case_merge(actor=personas.community_a, case=a, into=b, expected_version=a.version)
    case_merge(actor=personas.community_a, case=b, into=c, expected_version=b.version)
    a.refresh_from_db()
    assert a.merged_into == c and dup.case_followed(a) == c


def test_stale_version_is_a_conflict(personas, cats):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    dupe = report(personas.community_a, cats["lamp"], LAMP_2)
    stale = dupe.version
    svc.case_dispatch(actor=personas.community_a, case=dupe, unit=None, expected_version=stale)
    with pytest.raises(ConflictError):
        case_merge(actor=personas.community_a, case=dupe, into=target, expected_version=stale)
    assert Case.objects.get(pk=dupe.pk).merged_into is None


def test_merge_needs_staff_covering_both_cases(personas, district, cats):
    a = report(personas.community_a, cats["lamp"], LAMP_1)
    b_point = (26.085, 119.325)  # grid B1
    b = report(personas.community_b, cats["lamp"], LAMP_2, point=b_point)
    for actor in (personas.community_a, personas.grid_worker, personas.department):
        with pytest.raises(PermissionDenied):
            case_merge(actor=actor, case=a, into=b, expected_version=a.version)
    merged = case_merge(actor=personas.subdistrict_staff, case=a, into=b, expected_version=a.version)
    assert merged.merged_into == b


# --- API -------------------------------------------------------------------------------------------


def test_api_candidates_and_merge(personas, cats, client):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    dupe = report(personas.community_a, cats["lamp"], LAMP_2)
    client.force_login(personas.community_a)
    got = client.get(f"/api/v1/cases/duplicates/{dupe.number}")
    assert got.status_code == 200 and [c["number"] for c in got.json()] == [target.number]
    draft = client.post("/api/v1/cases/duplicates", json.dumps(
        {"category_id": cats["lamp"].pk, "description": LAMP_2, "lat": POINT[0], "lng": POINT[1]}),
        content_type="application/json")
    assert draft.status_code == 200 and {c["number"] for c in draft.json()} == {target.number, dupe.number}
    body = {"case": dupe.number, "into": target.number, "expected_version": dupe.version}
    done = client.post("/api/v1/cases/merges", json.dumps(body), content_type="application/json")
    assert done.status_code == 200 and done.json()["merged_into"] == target.number
    again = client.post("/api/v1/cases/merges", json.dumps(body), content_type="application/json")
    assert again.status_code == 409
    client.force_login(personas.community_b)
    assert client.get(f"/api/v1/cases/duplicates/{dupe.number}").status_code == 404


# --- pages -----------------------------------------------------------------------------------------


def test_case_page_panel_lists_candidates_and_merges(personas, cats, client):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    dupe = report(personas.community_a, cats["lamp"], LAMP_2)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages matched in the English source
    client.force_login(personas.community_a)
    page = client.get(f"/cases/{dupe.number}/").content.decode()
    assert f'hx-get="/cases/duplicates/{dupe.number}/"' in page
    panel = client.get(f"/cases/duplicates/{dupe.number}/").content.decode()
    assert target.number in panel and "similar text" in panel
    done = client.post(f"/cases/merge/{dupe.number}/", {"version": dupe.version, "into": target.number})
    assert done.status_code == 302 and done["Location"] == f"/cases/{target.number}/"
    assert dupe.number in client.get(f"/cases/duplicates/{target.number}/").content.decode()
    stale = client.post(f"/cases/merge/{dupe.number}/", {"version": dupe.version, "into": target.number},
                        follow=True)
    assert "Someone else changed this case" in stale.content.decode()


def test_duplicates_list_runs_a_fixed_number_of_queries(personas, cats, client, django_assert_max_num_queries):
    client.force_login(personas.community_a)
    client.get("/cases/duplicates/")  # warm the session and the scope
    counts = []
    for n in (3, 15):
        while Case.objects.count() < n:
            report(personas.community_a, cats["lamp"], LAMP_1 if Case.objects.count() % 2 else LAMP_2)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/cases/duplicates/?only=1")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- concurrency (row locks need PostgreSQL) --------------------------------------------------------------


def _race(*jobs) -> list[str]:
    import threading

    barrier = threading.Barrier(len(jobs))
    results: list[str] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=10)
            job()
            results.append("won")
        except ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_merge_and_a_dispatch_at_once_one_wins(transactional_db, personas, cats):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    dupe = report(personas.community_a, cats["lamp"], LAMP_2)
    version = dupe.version
    results = _race(
        lambda: case_merge(actor=personas.community_a, case=Case.objects.get(pk=dupe.pk), into=target,
                           expected_version=version),
        lambda: svc.case_dispatch(actor=personas.subdistrict_staff, case=Case.objects.get(pk=dupe.pk), unit=None,
                                  expected_version=version),
    )
    assert results == ["conflict", "won"]
    dupe.refresh_from_db()
    assert dupe.version == version + 1
    assert dupe.events.count() == 2  # the report and exactly one of the two


def test_report_form_suggests_duplicates_while_it_is_filled_in(personas, district, cats, client):
    target = report(personas.community_a, cats["lamp"], LAMP_1)
    client.force_login(personas.grid_worker)
    form = client.get("/cases/new/").content.decode()
    assert 'hx-post="/cases/duplicates/draft/"' in form
    fields = {"category": cats["lamp"].pk, "description": LAMP_2, "lat": POINT[0], "lng": POINT[1], "crs": "wgs84"}
    answer = client.post("/cases/duplicates/draft/", fields).content.decode()
    assert target.number in answer
    other = client.post("/cases/duplicates/draft/", {**fields, "description": STALLS}).content.decode()
    assert target.number not in other
    assert client.post("/cases/duplicates/draft/", {"category": "x"}).status_code == 200
