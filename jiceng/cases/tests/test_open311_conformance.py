"""Open311 GeoReport v2 conformance, field by field (http://wiki.open311.org/GeoReport_v2), in JSON and XML.

Every call of the spec is made as a client would make it: the key comes from `jiceng apikey create`,
POST is form-encoded, `jurisdiction_id` is passed, and each answer is checked for the spec's element
names, its error array and its status code. The same checks run on both formats, through one reader
that turns either answer into lists of dicts the way the spec's two formats correspond."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiceng.cases.models import ApiKey, Case, CaseChannel

from .test_case_services import POINT_A, cat  # noqa: F401

pytestmark = pytest.mark.django_db
V2 = "/open311/v2"
JURISDICTION = "350102"  # the test district's code
FORMATS = ("json", "xml")

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def _xml_obj(el: ET.Element) -> dict:
    out: dict = {}
    for child in el:
        if child.tag in ("attributes", "values", "formats", "endpoints"):
            out[child.tag] = [_xml_obj(c) if len(c) else (c.text or "") for c in child]
        elif len(child):
            out[child.tag] = _xml_obj(child)
        else:
            out[child.tag] = child.text or ""
    return out


def read(response, fmt: str, root: str | None = None, item: str | None = None):
    """The answer as the spec's JSON shape: a list of objects (or one object for a service definition)."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        return response.json()
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    top = ET.fromstring(response.content)
    if root is not None:
        assert top.tag == root, (top.tag, root)
    if item is None:
        return _xml_obj(top)
    assert all(child.tag == item for child in top), [c.tag for c in top]
    return [_xml_obj(child) for child in top]


def errors(response, fmt: str, status: int) -> list[dict]:
    """The spec's error format: status code, and an array of {code, description} (XML: <errors><error>)."""
    assert response.status_code == status, (response.status_code, response.content)
    items = read(response, fmt, "errors", "error")
    assert items and all(set(e) == {"code", "description"} for e in items), items
    assert all(int(e["code"]) == status and e["description"] for e in items), items
    return items


@pytest.fixture
def api_key(personas):
    """A key as an operator issues it: printed once by `jiceng apikey create NAME --user USER`."""
    out = io.StringIO()
    call_command("apikey", "create", "城管通", "--user", personas.community_a.username, stdout=out)
    return out.getvalue().strip()


def post(client, fmt: str, **data):
    return client.post(f"{V2}/requests.{fmt}", {"jurisdiction_id": JURISDICTION, **data})


# --- discovery, services, service definitions -------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_its_formats(client, fmt):
    doc = read(client.get(f"{V2}/discovery.{fmt}"), fmt, "discovery")
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(doc)
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and endpoint["type"] in {"production", "test"}
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_has_every_field_of_the_spec(client, cat, fmt):  # noqa: F811
    services = read(client.get(f"{V2}/services.{fmt}", {"jurisdiction_id": JURISDICTION}), fmt, "services", "service")
    (service,) = [s for s in services if s["service_code"] == cat.code]
    assert SERVICE_FIELDS <= set(service)
    assert service["type"] in {"realtime", "batch", "blackbox"}
    assert str(service["metadata"]).lower() == "true"  # it has a definition to fetch


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_classes_a_report_is_filed_under_grouped_by_major_class(client, fmt):
    from jiceng.cases.services import taxonomy_load_default

    taxonomy_load_default(actor=None)
    services = read(client.get(f"{V2}/services.{fmt}"), fmt, "services", "service")
    by_code = {s["service_code"]: s for s in services}
    assert "C01" not in by_code and by_code["C0108"]["group"] == "公用设施"  # a major class with minor ones
    assert {"R01", "R02", "R03", "R04", "R05"} <= set(by_code)  # the five 12345 request types
    assert len(services) >= 60


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes_with_their_values(client, cat, fmt):  # noqa: F811
    doc = read(client.get(f"{V2}/services/{cat.code}.{fmt}", {"jurisdiction_id": JURISDICTION}), fmt,
               "service_definition")
    assert doc["service_code"] == cat.code
    assert doc["attributes"], "a definition lists its attributes"
    for attribute in doc["attributes"]:
        assert ATTRIBUTE_FIELDS <= set(attribute), attribute
        assert attribute["datatype"] in DATATYPES
        assert str(attribute["variable"]).lower() in {"true", "false"}
        assert str(attribute["required"]).lower() in {"true", "false"}
        assert int(attribute["order"]) >= 1
        if attribute["datatype"].endswith("valuelist"):
            assert attribute["values"] and all(set(v) == {"key", "name"} for v in attribute["values"])
    urgency = next(a for a in doc["attributes"] if a["code"] == "urgency")
    assert [v["key"] for v in urgency["values"]] == ["normal", "urgent"]  # the category's levels


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_the_specs_404(client, cat, fmt):  # noqa: F811
    errors(client.get(f"{V2}/services/NOPE.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_the_specs_404_on_every_call(client, cat, api_key, fmt):  # noqa: F811
    for url in (f"{V2}/services.{fmt}", f"{V2}/services/{cat.code}.{fmt}", f"{V2}/requests.{fmt}",
                f"{V2}/requests/GL0000000000000.{fmt}", f"{V2}/tokens/GL0000000000000.{fmt}"):
        (error,) = errors(client.get(url, {"jurisdiction_id": "nowhere.example"}), fmt, 404)
        assert "jurisdiction_id" in error["description"], url
    r = client.post(f"{V2}/requests.{fmt}", {"jurisdiction_id": "nowhere.example", "api_key": api_key,
                                             "service_code": cat.code, "lat": POINT_A[0], "long": POINT_A[1]})
    errors(r, fmt, 404)
    assert not Case.objects.exists()


# --- POST requests, tokens, GET requests -------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_post_then_read_back_every_field(client, cat, api_key, fmt):  # noqa: F811
    r = post(client, fmt, api_key=api_key, service_code=cat.code, lat=POINT_A[0], long=POINT_A[1],
             address_string="鼓东路1号", email="a@example.com", device_id="dev-1", first_name="小明", last_name="王",
             phone="13800138000", description="路灯不亮", media_url="https://example.com/p.jpg",
             **{"attribute[urgency]": "urgent"})
    assert r.status_code == 200, r.content
    (created,) = read(r, fmt, "service_requests", "request")
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    number = created["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.channel == CaseChannel.OPEN311 and case.urgency == "urgent" and case.source_ref == "dev-1"
    assert "https://example.com/p.jpg" in case.description

    # Token: the spec's GET tokens/{token} answers the service_request_id.
    (tok,) = read(client.get(f"{V2}/tokens/{number}.{fmt}", {"jurisdiction_id": JURISDICTION}), fmt,
                  "service_requests", "request")
    assert tok["service_request_id"] == number and tok["token"] == number

    # One request, and the same through the list's service_request_id parameter.
    (one,) = read(client.get(f"{V2}/requests/{number}.{fmt}", {"jurisdiction_id": JURISDICTION}), fmt,
                  "service_requests", "request")
    assert REQUEST_FIELDS <= set(one), REQUEST_FIELDS - set(one)
    assert one["service_code"] == cat.code and one["status"] == "open" and one["description"].startswith("路灯不亮")
    assert float(one["lat"]) == pytest.approx(POINT_A[0]) and float(one["long"]) == pytest.approx(POINT_A[1])
    assert one["requested_datetime"].endswith("+08:00")  # w3 datetime with the offset
    assert "13800138000" not in r.content.decode() + str(one)  # the reporter is never shown
    listed = read(client.get(f"{V2}/requests.{fmt}", {"service_request_id": number}), fmt,
                  "service_requests", "request")
    assert [x["service_request_id"] for x in listed] == [number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters_by_service_status_and_dates(client, cat, api_key, fmt):  # noqa: F811
    number = read(post(client, fmt, api_key=api_key, service_code=cat.code, lat=POINT_A[0], long=POINT_A[1],
                       description="井盖缺失"), fmt, "service_requests", "request")[0]["service_request_id"]

    def ids(**params):
        r = client.get(f"{V2}/requests.{fmt}", {"jurisdiction_id": JURISDICTION, **params})
        assert r.status_code == 200, r.content
        return [x["service_request_id"] for x in read(r, fmt, "service_requests", "request")]

    assert ids() == [number]
    assert ids(service_code=cat.code) == [number] and ids(service_code="OTHER") == []
    assert ids(status="open") == [number] and ids(status="closed") == [] and ids(status="open,closed") == [number]
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == []
    errors(client.get(f"{V2}/requests.{fmt}", {"start_date": "yesterday"}), fmt, 400)
    errors(client.get(f"{V2}/requests.{fmt}", {"start_date": "2026-01-01T00:00:00Z",
                                               "end_date": "2026-06-01T00:00:00Z"}), fmt, 400)  # > 90 days
    errors(client.get(f"{V2}/requests.{fmt}", {"status": "pending"}), fmt, 400)
    errors(client.get(f"{V2}/requests/GL0000000000000.{fmt}"), fmt, 404)
    errors(client.get(f"{V2}/tokens/GL0000000000000.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors_are_the_specs_and_write_nothing(client, cat, api_key, fmt):  # noqa: F811
    where = {"lat": POINT_A[0], "long": POINT_A[1]}
    errors(post(client, fmt, service_code=cat.code, **where), fmt, 403)  # no api_key
    errors(post(client, fmt, api_key="jk_wrong", service_code=cat.code, **where), fmt, 403)
    errors(post(client, fmt, api_key=api_key, service_code="NOPE", **where), fmt, 404)
    errors(post(client, fmt, api_key=api_key, service_code=cat.code), fmt, 400)  # no location
    errors(post(client, fmt, api_key=api_key, service_code=cat.code, lat="north", long="east"), fmt, 400)
    errors(post(client, fmt, api_key=api_key, service_code=cat.code, **where,
                **{"attribute[urgency]": "whenever"}), fmt, 400)  # not one of the attribute's values
    assert not Case.objects.exists()
    assert client.put(f"{V2}/requests.{fmt}").status_code == 405


def test_revoked_key_is_refused_and_the_command_lists_and_revokes(client, cat, api_key):  # noqa: F811
    out = io.StringIO()
    call_command("apikey", "list", stdout=out)
    assert "城管通" in out.getvalue() and api_key not in out.getvalue()  # never the key itself
    assert ApiKey.objects.get(name="城管通").key_hash != api_key  # only a hash is kept
    with pytest.raises(CommandError):
        call_command("apikey", "create", "城管通", "--user", "p_community_a")
    call_command("apikey", "revoke", "城管通", stdout=io.StringIO())
    errors(post(client, "json", api_key=api_key, service_code=cat.code, lat=POINT_A[0], long=POINT_A[1]), "json", 403)
