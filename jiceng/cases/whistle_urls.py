"""Whistle pages, included under /cases/whistles/ in the cases namespace."""

from django.urls import path

from . import whistle_views as v

urlpatterns = [
    path("", v.whistle_list, name="whistles"),
    path("new/", v.whistle_new, name="whistle_new"),
    path("stats/", v.whistle_stats, name="whistle_stats"),
    path("<int:whistle_id>/", v.whistle_page, name="whistle"),
    path("<int:whistle_id>/close/", v.whistle_close, name="whistle_close"),
    path("<int:whistle_id>/responses/<int:response_id>/<str:action>/", v.response_act, name="whistle_response_act"),
]
