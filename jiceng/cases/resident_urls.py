"""Public pages for residents on a phone, without an account (mounted at /r/)."""

from django.urls import path

from . import photo_views, resident_views

app_name = "resident"
urlpatterns = [
    path("", resident_views.report, name="report"),
    # The target of the QR code on every building's and compound's poster (and the identity board).
    path("b/<str:code>/", resident_views.report_at, name="building"),
    path("done/", resident_views.receipt, name="receipt"),
    # The private link: the token is the only key (its hash is stored).
    path("c/<str:token>/", resident_views.follow, name="follow"),
    path("c/<str:token>/rate/", resident_views.rate, name="rate"),
    path("c/<str:token>/photos/<int:attachment_id>/", photo_views.resident_photo, name="photo"),
]
