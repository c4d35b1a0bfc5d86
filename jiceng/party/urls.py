from django.urls import include, path

from . import dues_views, meeting_views, views

app_name = "party"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("due/", views.due, name="due"),
    path("<int:org_id>/", views.detail, name="detail"),
    path("<int:org_id>/children/", views.children, name="children"),
    path("<int:org_id>/edit/", views.edit, name="edit"),
    path("<int:org_id>/members/", views.members, name="members"),
    path("<int:org_id>/members/new/", views.member_add, name="member_add"),
    path("<int:org_id>/new-child/", views.create_child, name="create_child"),
    path("<int:org_id>/positions/new/", views.position_assign, name="position_assign"),
    path("positions/<int:position_id>/end/", views.position_end, name="position_end"),
    # Party dues
    path("dues/", dues_views.rollup, name="dues"),
    path("dues/me/", dues_views.my_dues, name="dues_me"),
    path("dues/org/<int:org_id>/", dues_views.org_ledger, name="dues_org"),
    path("dues/member/<int:member_id>/", dues_views.member_dues, name="dues_member"),
    path("dues/payments/<int:payment_id>/void/", dues_views.payment_void, name="dues_payment_void"),
    # Meetings and obligations
    path("meetings/", meeting_views.meeting_list, name="meetings"),
    path("meetings/new/", meeting_views.meeting_new, name="meeting_new"),
    path("meetings/<int:meeting_id>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/compliance/<int:org_id>/", meeting_views.compliance, name="meeting_compliance"),
    path("meetings/rollup/", meeting_views.rollup, name="meeting_rollup"),
    path("meetings/lapses/", meeting_views.lapses, name="meeting_lapses"),
    path("dualreg/", include("jiceng.party.dualreg_urls")),  # dual registration and service
]
