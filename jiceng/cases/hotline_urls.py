"""Routes of the hotline import, duplicate suggestions and merges (included by cases/urls.py, so the names
are in the `cases` namespace)."""

from django.urls import path, re_path

from . import hotline_views as views

urlpatterns = [
    path("hotline/import/", views.hotline_import_view, name="hotline_import"),
    path("duplicates/", views.duplicates_list, name="duplicates"),
    path("duplicates/draft/", views.duplicates_draft, name="duplicates_draft"),
    re_path(r"^duplicates/(?P<number>GL\d{13})/$", views.duplicates_panel, name="duplicates_panel"),
    re_path(r"^merge/(?P<number>GL\d{13})/$", views.merge_view, name="case_merge"),
]
