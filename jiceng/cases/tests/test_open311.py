"""Open311 GeoReport v2: JSON and XML shapes per spec, error format, api_key checks, a client flow."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from jiceng.cases.models import ApiKey, Case

from .test_case_services import POINT_A, cat  # noqa: F401

pytestmark = pytest.mark.django_db
V2 = "/open311/v2"


def test_client_flow_json_and_xml(client, personas, district, cat):  # noqa: F811
    _key, raw = ApiKey.issue(name="app", user=personas.community_a)
    services = client.get(f"{V2}/services.json").json()
    assert services[0]["service_code"] == cat.code and services[0]["metadata"] is True
    root = ET.fromstring(client.get(f"{V2}/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code").text == cat.code
    root = ET.fromstring(client.get(f"{V2}/services/{cat.code}.xml").content)
    assert root.tag == "service_definition" and root.find("attributes/attribute/values/value/key") is not None
    r = client.post(f"{V2}/requests.json", {"api_key": raw, "service_code": cat.code, "lat": POINT_A[0],
                                             "long": POINT_A[1], "description": "路灯不亮"})
    assert r.status_code == 200, r.content
    number = r.json()[0]["service_request_id"]
    assert Case.objects.get(number=number).channel == "open311"
    root = ET.fromstring(client.get(f"{V2}/requests/{number}.xml").content)
    assert root.tag == "service_requests" and root.find("request/status").text == "open"
    assert [x["service_request_id"] for x in client.get(f"{V2}/requests.json?status=open").json()] == [number]
    assert client.get(f"{V2}/requests.json?status=closed").json() == []
    assert client.get(f"{V2}/tokens/{number}.json").json()[0]["service_request_id"] == number
    assert ET.fromstring(client.get(f"{V2}/discovery.xml").content).find("endpoints/endpoint/type") is not None


def test_errors(client, personas, district, cat):  # noqa: F811
    r = client.post(f"{V2}/requests.json", {"api_key": "wrong", "service_code": cat.code, "lat": 1, "long": 1})
    assert r.status_code == 403 and r.json()[0]["code"] == 403 and r.json()[0]["description"]
    root = ET.fromstring(client.get(f"{V2}/requests/NOPE.xml").content)
    assert root.tag == "errors" and root.find("error/code").text == "404"
    key, raw = ApiKey.issue(name="app", user=personas.community_a)
    assert client.post(f"{V2}/requests.json", {"api_key": raw, "service_code": cat.code}).status_code == 400
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    assert client.post(f"{V2}/requests.json", {"api_key": raw, "service_code": cat.code,
                                                "lat": 1, "long": 1}).status_code == 403
