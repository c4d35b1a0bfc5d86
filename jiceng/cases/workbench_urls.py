"""Workbench routes, included into the cases app's URLs (names live in the `cases` namespace)."""

from django.urls import path, re_path

from . import workbench_views

urlpatterns = [
    path("tasks/", workbench_views.tasks, name="tasks"),
    re_path(r"^tasks/(?P<number>GL\d{13})/(?P<action>accept|handle)/$", workbench_views.task_act, name="task_act"),
    path("views/save/", workbench_views.saved_view_save, name="saved_view_save"),
    path("views/<int:view_id>/delete/", workbench_views.saved_view_delete, name="saved_view_delete"),
]
