from django.urls import include, path, re_path

from . import case_views, views

app_name = "cases"
urlpatterns = [
    path("taxonomy/", views.taxonomy_list, name="taxonomy"),
    path("taxonomy/import/", views.taxonomy_import, name="taxonomy_import"),
    path("taxonomy/<int:category_id>/", views.category_detail, name="category"),
    path("taxonomy/<int:category_id>/edit/", views.category_edit, name="category_edit"),
    path("calendar/", views.calendar_year, name="calendar"),
    path("calendar/overrides/", views.calendar_override_add, name="override_add"),
    path("calendar/overrides/<str:day>/delete/", views.calendar_override_delete, name="override_delete"),
    # Cases (the number pattern keeps /cases/taxonomy/ and the rest apart from case pages).
    path("", case_views.inbox, name="inbox"),
    path("new/", case_views.report, name="case_new"),
    path("bulk-dispatch/", case_views.bulk_dispatch, name="case_bulk_dispatch"),
    path("", include("jiceng.cases.workbench_urls")),
    path("catalogue/", case_views.catalogue, name="catalogue"),
    path("catalogue/<int:entry_id>/delete/", case_views.catalogue_delete, name="catalogue_delete"),
    re_path(r"^(?P<number>GL\d{13})/$", case_views.case_page, name="case"),
    re_path(r"^(?P<number>GL\d{13})/(?P<action>[a-z]+)/$", case_views.case_act, name="case_act"),
]
