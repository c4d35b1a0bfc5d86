from django.urls import path

from . import views

app_name = "units"
urlpatterns = [
    path("", views.unit_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:unit_id>/", views.detail, name="detail"),
    path("<int:unit_id>/edit/", views.edit, name="edit"),
    path("<int:unit_id>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:unit_id>/posts/new/", views.role_assign, name="role_assign"),
    path("posts/<int:role_id>/end/", views.role_end, name="role_end"),
]
