from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("import/", views.import_view, name="import"),
    path("export/<str:kind>/", views.export_view, name="export"),
    path("template/<str:kind>/", views.template_view, name="template"),
]
