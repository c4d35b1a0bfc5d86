from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.notice_list, name="notices"),
    path("unread/", views.notice_unread, name="unread"),
    path("email/", views.notice_email, name="notice_email"),
    path("read/", views.notice_read, name="notice_read"),
    path("robots/", views.robot_list, name="robots"),
    path("robots/<int:robot_id>/delete/", views.robot_delete, name="robot_delete"),
    path("robots/<int:robot_id>/test/", views.robot_test, name="robot_test"),
]
