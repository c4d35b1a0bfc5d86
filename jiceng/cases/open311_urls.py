from django.urls import re_path

from jiceng.cases import open311_views as v

app_name = "open311"
F = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + F, v.discovery, name="discovery"),
    re_path(r"^services" + F, v.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+)" + F, v.service_definition, name="service"),
    re_path(r"^requests" + F, v.requests_, name="requests"),
    re_path(r"^requests/(?P<number>[^/]+)" + F, v.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + F, v.token, name="token"),
]
