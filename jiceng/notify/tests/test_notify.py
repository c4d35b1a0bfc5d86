from jiceng.notify.models import Notice
from jiceng.notify.services import notify


def test_notify_leaves_one_notice_per_user_even_when_named_twice(personas):
    notify(users=[personas.community_a, personas.community_a, personas.grid_worker], kind="case.urge",
           title="请尽快处理", url="/cases/")
    assert sorted(Notice.objects.values_list("user__username", flat=True)) == ["p_community_a", "p_grid"]
    assert Notice.objects.filter(read_at__isnull=True).count() == 2
