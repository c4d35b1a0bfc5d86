from jiceng.accounts.scope import scope_for


def test_personas_see_their_own_subtree(personas, district):
    a_scope = scope_for(personas.community_a)
    assert a_scope.covers_path(district.a.building.path)
    assert not a_scope.covers_path(district.b.building.path)
    assert scope_for(personas.subdistrict_staff).covers_path(district.b.building.path)
    assert not scope_for(personas.subdistrict_staff).covers_path(district.c.building.path)
