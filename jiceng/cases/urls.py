from django.urls import include, path, re_path

from . import (
    case_views,
    followup_views,
    metrics_views,
    photo_views,
    poster_views,
    supervision_views,
    suspension_views,
    views,
)

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
    path("new/suggest/", case_views.category_suggest, name="category_suggest"),
    path("bulk-dispatch/", case_views.bulk_dispatch, name="case_bulk_dispatch"),
    path("whistles/", include("jiceng.cases.whistle_urls")),
    path("metrics/", metrics_views.dashboard, name="metrics"),
    path("metrics/topics/", metrics_views.topics, name="metrics_topics"),
    path("", include("jiceng.cases.workbench_urls")),
    path("catalogue/", case_views.catalogue, name="catalogue"),
    path("catalogue/<int:entry_id>/delete/", case_views.catalogue_delete, name="catalogue_delete"),
    path("", include("jiceng.cases.hotline_urls")),  # hotline import, duplicates, merge
    path("supervision/", supervision_views.workbench, name="supervision"),
    path("supervision/orders/<int:order_id>/reply/", supervision_views.reply, name="supervision_reply"),
    path("supervision/orders/<int:order_id>/escalate/", supervision_views.escalate, name="supervision_escalate"),
    re_path(r"^(?P<number>GL\d{13})/supervision/$", supervision_views.issue, name="supervision_issue"),
    re_path(r"^(?P<number>GL\d{13})/$", case_views.case_page, name="case"),
    re_path(r"^(?P<number>GL\d{13})/follow-up/$", followup_views.follow_up, name="follow_up"),
    re_path(r"^(?P<number>GL\d{13})/suspension/$", suspension_views.request_suspension, name="suspension_request"),
    re_path(r"^(?P<number>GL\d{13})/suspension/(?P<request_id>\d+)/$", suspension_views.decide_suspension,
            name="suspension_decide"),
    re_path(r"^(?P<number>GL\d{13})/photos/(?P<attachment_id>\d+)/$", photo_views.case_photo, name="case_photo"),
    path("posters/<int:area_id>/", poster_views.poster, name="poster"),
    path("posters/<int:area_id>/posters.pdf", poster_views.poster_pdf, name="poster_pdf"),
    re_path(r"^(?P<number>GL\d{13})/(?P<action>[a-z]+)/$", case_views.case_act, name="case_act"),
]
