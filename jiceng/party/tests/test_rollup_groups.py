"""The compliance roll-up folds the tree to one level: a group counts every organization under it."""

from __future__ import annotations

from jiceng.party import meeting_selectors as sel


def _rollup(district, behind_by_org: dict) -> sel.Rollup:
    o = district.orgs
    orgs = [district.working_committee, o["a"].committee, o["a"].general, o["a"].branch, o["a"].group,
            o["b"].committee, o["b"].branch]
    rows = [sel.RollupRow(org=org, cells={"theme_day": "missing" if behind_by_org.get(org.pk) else "met"},
                          behind=behind_by_org.get(org.pk, 0), calendar=None) for org in orgs]
    return sel.Rollup(year=2025, quarter=2, kinds=["theme_day"], rows=rows)


def test_groups_fold_every_organization_under_them(district):
    o = district.orgs
    data = _rollup(district, {o["a"].branch.pk: 2, o["a"].group.pk: 1})
    top = sel.rollup_groups(data)
    assert [g.org for g in top] == [district.working_committee]
    assert (top[0].orgs, top[0].orgs_behind, top[0].missing, top[0].cells) == (7, 2, 3, {"theme_day": "missing"})

    level = {g.org.pk: g for g in sel.rollup_groups(data, root=district.working_committee)}
    a, b = level[o["a"].committee.pk], level[o["b"].committee.pk]
    assert (a.orgs, a.orgs_behind, a.missing, a.cells["theme_day"]) == (4, 2, 3, "missing")
    assert (b.orgs, b.orgs_behind, b.missing, b.cells["theme_day"]) == (2, 0, 0, "met")


def test_rollup_page_shows_groups_and_who_is_behind(district, personas, login):
    response = login(personas.subdistrict_staff).get("/party/meetings/rollup/?year=2025&quarter=2")
    assert response.status_code == 200
    assert list(response.context["groups"]) and response.context["behind_total"] >= 0
