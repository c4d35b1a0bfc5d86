"""A published GeoReport v2 client (PyPI `georeport`) against our /open311/v2/ on a live server.

The issue asks that any GeoReport v2 client work against the endpoint. This drives a real, maintained
third-party client over HTTP, in both of its formats, with a jurisdiction set as a city's configuration
would set it. That client only reads (it has no call to create a request), so the report is POSTed the
way the spec says, form-encoded with `requests`, and then read back through the client."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.management import call_command
from georeport import GeoReport

from jiceng.cases.tests.test_case_services import POINT_A, cat  # noqa: F401

JURISDICTION = "350102"


@pytest.fixture
def endpoint(live_server, audit_log_flushable, personas, cat):  # noqa: F811
    out = io.StringIO()
    call_command("apikey", "create", "georeport", "--user", personas.community_a.username, stdout=out)
    root = f"{live_server.url}/open311/v2"
    r = requests.post(f"{root}/requests.json", timeout=30, data={
        "jurisdiction_id": JURISDICTION, "api_key": out.getvalue().strip(), "service_code": cat.code,
        "lat": POINT_A[0], "long": POINT_A[1], "description": "路灯不亮", "attribute[urgency]": "normal"})
    assert r.status_code == 200, r.text
    return root, r.json()[0]["service_request_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_definitions_and_requests(endpoint, cat, fmt):  # noqa: F811
    root, number = endpoint
    client = GeoReport(root, jurisdiction=JURISDICTION, output_format=fmt)

    services = client.get_service_list()
    services = services if isinstance(services, list) else [services]  # xmltodict: one child is a dict
    assert [s["service_code"] for s in services] == [cat.code]
    assert services[0]["service_name"] == cat.name

    definition = client.get_service_definition(cat.code)
    attributes = definition["attributes"]
    attribute = attributes[0] if fmt == "json" else attributes["attribute"]
    assert attribute["code"] == "urgency" and attribute["datatype"] == "singlevaluelist"

    listed = client.get_service_requests(service_code=cat.code, status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert [x["service_request_id"] for x in listed] == [number]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open" and one["description"] == "路灯不亮"


def test_georeport_client_sees_the_specs_error_as_an_http_error(endpoint):
    root, _number = endpoint
    with pytest.raises(requests.HTTPError) as raised:
        GeoReport(root, jurisdiction=JURISDICTION).get_service_request("GL0000000000000")
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()[0]["code"] == 404
