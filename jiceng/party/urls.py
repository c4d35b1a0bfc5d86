from django.urls import include, path

from . import board_views, checkin_views, dues_views, meeting_views, points_views, views

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
    path("meetings/<int:meeting_id>/files/<int:attachment_id>/", meeting_views.meeting_attachment,
         name="meeting_attachment"),
    path("meetings/compliance/<int:org_id>/", meeting_views.compliance, name="meeting_compliance"),
    path("meetings/rollup/", meeting_views.rollup, name="meeting_rollup"),
    path("meetings/lapses/", meeting_views.lapses, name="meeting_lapses"),
    # Points, identity boards, QR check-in
    path("points/", points_views.ranking, name="points"),
    path("points/me/", points_views.my_points, name="points_me"),
    path("points/member/<int:member_id>/", points_views.member_points, name="points_member"),
    path("points/awards/", points_views.awards, name="points_awards"),
    path("points/awards/<int:award_id>/decide/", points_views.award_decide, name="points_award_decide"),
    path("points/rules/", points_views.rules, name="points_rules"),
    path("boards/", board_views.board_list, name="boards"),
    path("boards/<int:area_id>/", board_views.board_detail, name="board"),
    path("boards/<int:area_id>/pdf/", board_views.board_pdf_view, name="board_pdf"),
    path("boards/me/", board_views.board_me, name="board_me"),
    path("meetings/<int:meeting_id>/checkin/", checkin_views.meeting_checkin, name="meeting_checkin"),
    path("checkin/<str:token>/", checkin_views.checkin, name="checkin"),
    path("dualreg/", include("jiceng.party.dualreg_urls")),  # dual registration and service
]
