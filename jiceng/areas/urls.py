from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("map/", views.map_view, name="map"),
]
