"""Talks to Beacon's Open311 endpoint with two Open311 clients other people wrote, from PyPI:
civicbot (its Open311Client lists services, reads a definition, checks a request against it and
posts it) and georeport (it reads services, definitions and requests as XML, parsed by
xmltodict). Prints what they read, as JSON, for tests/api/open311.rs to check.

Usage: open311_client.py BASE_URL API_KEY
"""
import json
import sys

from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

base_url, api_key = sys.argv[1], sys.argv[2]

endpoint = Endpoint(id="beacon", name="Beacon", base_url=base_url, write=True)
client = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)))
services = client.list_services()
definition = client.get_service_definition("criminal-damage")
posted = client.create_request(
    "criminal-damage",
    dry_run=False,
    confirm="SEND",
    api_key=api_key,
    validate_remote=True,
    lat=52.2053,
    lng=0.1218,
    description="Someone scratched the side of my car overnight.",
    attributes={"damaged": "vehicle", "damage_cost": "400"},
    first_name="Ravi",
    last_name="Shah",
    email="ravi.shah@example.com",
)
request_id = posted.response[0]["service_request_id"]
one = client.get_request(request_id)

xml = GeoReport(base_url, output_format="xml")
xml_services = xml.get_service_list()
xml_definition = xml.get_service_definition("criminal-damage")
xml_requests = xml.get_service_requests(service_code="criminal-damage")
if isinstance(xml_requests, dict):
    xml_requests = [xml_requests]

print(json.dumps({
    "services": [s["service_code"] for s in services],
    "attributes": [a["code"] for a in definition["attributes"]],
    "posted": posted.response,
    "one": one,
    "xml_services": [s["service_code"] for s in xml_services],
    "xml_attributes": [a["code"] for a in xml_definition["attributes"]["attribute"]],
    "xml_requests": [r["service_request_id"] for r in xml_requests],
}))
