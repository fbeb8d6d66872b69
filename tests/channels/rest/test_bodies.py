"""REST request bodies: judged after the token, capped at 1 MiB, JSON only (over real HTTP, both engines)."""

from __future__ import annotations

import json

import httpx
import pytest

from presence.channels.rest import MAX_BODY
from presence.db.models import Registration

from ...helpers import count
from ..rawhttp import answer_before_the_body
from .test_routes import BASE, api, item, register  # noqa: F401 - the `api` fixture

BODY_OPERATIONS = ["/presenceRegistrations/registerInBulk", "/presenceRegistrations/search",
                   "/presenceRegistrations/1/cancel"]


def problem(status: int, body: bytes) -> dict:
    parsed = json.loads(body)
    assert parsed["status"] == status and parsed["requestId"]
    return parsed


@pytest.mark.parametrize("path", BODY_OPERATIONS)
def test_without_a_token_a_body_is_never_read(server, path):
    """10 MB announced, 1 KB sent: the answer comes at once (a server reading first would wait for the rest)."""
    status, body = answer_before_the_body(server, "POST", BASE + path, {
        "Content-Type": "application/json", "Content-Length": str(10_000_000)}, b"{" + b" " * 1023)
    assert status == 401
    assert problem(401, body)["type"] == "urn:problem-type:belgif:invalidAccessToken"


@pytest.mark.parametrize("path", BODY_OPERATIONS)
def test_a_body_announced_too_large_is_refused_before_it_is_read(api, path):  # noqa: F811
    status, body = answer_before_the_body(api.base.removesuffix(BASE), "POST", BASE + path, {
        **api.headers, "Content-Type": "application/json", "Content-Length": str(MAX_BODY + 1)}, b"{")
    assert status == 413
    refused = problem(413, body)
    assert refused["type"] == "urn:problem-type:presence:payloadTooLarge" and "200 items" in refused["detail"]


def test_a_streamed_body_is_cut_off_at_the_cap(api, runtime, clock):  # noqa: F811
    """Chunked, without a length: refused once the bytes read pass 1 MiB, and nothing is stored."""
    items = json.dumps({"items": [item(clock)] * 200}).encode()
    padding = b" " * 65536

    def chunks():
        yield items[:-1]
        for _ in range(40):  # 2.5 MB of white space before the closing brace
            yield padding
        yield items[-1:]

    answer = httpx.post(api.base + "/presenceRegistrations/registerInBulk", content=chunks(), timeout=30,
                        headers={**api.headers, "Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == "urn:problem-type:presence:payloadTooLarge"
    assert count(runtime.db, Registration) == 0


def test_200_items_with_every_optional_field_fit_comfortably(api, clock):  # noqa: F811
    full = item(clock, placeOfWork={"address": {  # the longer of the two ways to give the place
        "postCode": "1000", "municipalityName": "Bruxelles-Ville / Brussel-Stad", "streetName": "Rue de la Loi",
        "houseNumber": "16", "boxNumber": "B"}}, customReference="x" * 40)
    body = json.dumps({"items": [full] * 200}, indent=4).encode()
    assert len(body) < MAX_BODY / 2
    answer = httpx.post(api.base + "/presenceRegistrations/registerInBulk", content=body, timeout=60,
                        headers={**api.headers, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None,
                                          "application/xml"])
def test_a_body_that_is_not_json_is_415_naming_json(api, clock, runtime, content_type):  # noqa: F811
    headers = dict(api.headers)
    if content_type:
        headers["Content-Type"] = content_type
    answer = httpx.post(api.base + "/presenceRegistrations/registerInBulk", timeout=30, headers=headers,
                        content=json.dumps({"items": [item(clock)]}).encode())
    assert answer.status_code == 415, answer.text
    body = answer.json()
    assert body["type"] == "urn:problem-type:presence:unsupportedMediaType"
    assert "application/json" in body["detail"]
    assert count(runtime.db, Registration) == 0


def test_json_with_a_charset_or_a_json_suffix_is_json(api, clock):  # noqa: F811
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        answer = httpx.post(api.base + "/presenceRegistrations/registerInBulk", timeout=30,
                            headers={**api.headers, "Content-Type": content_type},
                            content=json.dumps({"items": [item(clock)]}).encode())
        assert answer.status_code == 200, answer.text
