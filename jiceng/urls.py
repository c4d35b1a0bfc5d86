from django.urls import include, path

from jiceng.api import api
from jiceng.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("jiceng.accounts.urls")),
    path("areas/", include("jiceng.areas.urls")),
    path("party/", include("jiceng.party.urls")),
    path("units/", include("jiceng.units.urls")),
    path("people/", include("jiceng.people.urls")),
    path("cases/", include("jiceng.cases.urls")),
    path("notices/", include("jiceng.notify.urls")),
    path("r/", include("jiceng.cases.resident_urls")),
    path("data/", include("jiceng.core.urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", include("jiceng.cases.open311_urls")),
]
