from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("taxonomy/", views.taxonomy_list, name="taxonomy"),
    path("taxonomy/import/", views.taxonomy_import, name="taxonomy_import"),
    path("taxonomy/<int:category_id>/", views.category_detail, name="category"),
    path("taxonomy/<int:category_id>/edit/", views.category_edit, name="category_edit"),
    path("calendar/", views.calendar_year, name="calendar"),
    path("calendar/overrides/", views.calendar_override_add, name="override_add"),
    path("calendar/overrides/<str:day>/delete/", views.calendar_override_delete, name="override_delete"),
]
