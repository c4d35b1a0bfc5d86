"""Public pages for residents on a phone, without an account (mounted at /r/)."""

from django.urls import path

from . import resident_views

app_name = "resident"
urlpatterns = [
    # The target of the QR code on every building's and compound's poster (and the identity board).
    path("b/<str:code>/", resident_views.report_at, name="building"),
]
