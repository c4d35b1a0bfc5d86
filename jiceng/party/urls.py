from django.urls import path

from . import views

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
]
