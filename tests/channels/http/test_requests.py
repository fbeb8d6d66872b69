"""What every HTTP request gets, whatever its channel: an id, one access-log line, HEAD as GET, a short log line
when its client hangs up, and the server's description at `/` (over real HTTP, both engines)."""

from __future__ import annotations

import json
import logging
import re
import time

import httpx
import pytest
from lxml import etree

from presence import logs
from presence.auth.xml_namespaces import ERRORS

from ...helpers import WORKER
from ..rawhttp import hang_up_mid_body
from ..rest.test_routes import BASE, api, item  # noqa: F401 - the `api` fixture
from ..soap.test_hostile import ENDPOINT, envelope, register

ACCESS = "presence.access"


def access_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


def wait_for_access_lines(caplog, count: int) -> list[logging.LogRecord]:
    """The server logs after answering: wait (up to 10 s) until `count` lines are there."""
    deadline = time.monotonic() + 10
    while len(access_lines(caplog)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return access_lines(caplog)


# --- request ids ------------------------------------------------------------------------------------------

def test_every_answer_names_its_request_id(server):
    generated = httpx.get(server + "/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert httpx.get(server + "/health").headers["x-request-id"] != generated
    assert httpx.get(server + "/health", headers={"X-Request-ID": "clock-7:run.42_a"}).headers[
        "x-request-id"] == "clock-7:run.42_a"
    for unfit in (b"two words", b"x" * 129, "é".encode()):  # not a plain token: replaced, never written as given
        answer = httpx.get(server + "/health", headers={"X-Request-ID": unfit})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


def test_problems_faults_and_token_errors_quote_the_request_id(server):
    problem = httpx.get(server + BASE + "/refData/remarks")
    assert problem.status_code == 401 and problem.json()["requestId"] == problem.headers["x-request-id"]
    fault = httpx.post(server + ENDPOINT, content=b"not xml", headers={"X-Request-ID": "support-case-1"})
    detail = etree.fromstring(fault.content).find(f".//{{{ERRORS}}}BusinessError")
    assert detail.get("Id") == "support-case-1" == fault.headers["x-request-id"]
    refused = httpx.post(server + "/REST/oauth/v5/token", data={"grant_type": "client_credentials"})
    assert refused.headers["x-request-id"] in refused.json()["error_description"]


# --- the access log ---------------------------------------------------------------------------------------

def test_one_access_line_per_request_with_the_route_never_the_values(api, clock, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=ACCESS)
    server = api.base.removesuffix(BASE)
    httpx.get(server + BASE + "/refData/activities")  # no token: 401, still a trace
    api.get(f"/presenceRegistrations/{WORKER}")  # a personal number where an id goes: no such presence
    api.post("/presenceRegistrations/search?page=3&pageSize=7",
             {"criteria": {"registrationDate": {"startDate": "2026-03-03", "endDate": "2026-03-03"},
                           "ssin": WORKER}})
    httpx.get(server + f"/nowhere/{WORKER}")
    lines = wait_for_access_lines(caplog, 4)
    text = "\n".join(record.getMessage() for record in lines)
    assert len(lines) == 4, text
    unauthenticated, personal, search, nowhere = lines
    # Refused before the service chose a route: the service, not the path.
    assert unauthenticated.getMessage().startswith("GET /REST/presenceRegistration/v1/… 401 ")
    assert unauthenticated.client_id is None and unauthenticated.request_id
    assert personal.getMessage().startswith("GET /REST/presenceRegistration/v1/presenceRegistrations/{id} 404 ")
    assert personal.client_id.startswith("self_service_expeditor_")
    assert search.path == "/REST/presenceRegistration/v1/presenceRegistrations/search" and search.status == 200
    assert search.method == "POST" and search.duration_ms >= 0 and search.client_id == personal.client_id
    assert nowhere.status == 404 and nowhere.path == "(no route)"
    assert WORKER not in text and "page" not in text and "pageSize" not in text
    assert len({record.request_id for record in lines}) == 4


def test_soap_and_token_requests_are_logged_with_their_client(server, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    httpx.post(server + ENDPOINT, content=envelope(register()))
    httpx.post(server + "/REST/oauth/v5/token", data={"grant_type": "client_credentials"})
    soap, token = sorted(wait_for_access_lines(caplog, 2), key=lambda record: record.path)
    assert (soap.method, soap.path, soap.status) == ("POST", ENDPOINT, 500)
    assert (token.method, token.path, token.status) == ("POST", "/REST/oauth/v5/token", 401)


def test_json_logs_for_log_shippers(server, capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure_logging("INFO", "json")
        httpx.get(server + BASE + "/refData/remarks", headers={"X-Request-ID": "shipper-1"})
        deadline = time.monotonic() + 10
        entries = []
        while time.monotonic() < deadline and not entries:
            entries += [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
            time.sleep(0.02)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    [entry] = [e for e in entries if e["logger"] == ACCESS]
    assert entry["request_id"] == "shipper-1" and entry["level"] == "INFO"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", BASE + "/…", 401)
    assert isinstance(entry["duration_ms"], float) and entry["time"].endswith("+00:00")


# --- HEAD, and a client that hangs up --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/health", ENDPOINT + "?wsdl", BASE + "/openapi.json", "/readme"])
def test_head_answers_like_get_without_the_body(server, path):
    got = httpx.get(server + path)
    head = httpx.head(server + path)
    assert got.status_code == head.status_code == 200
    assert head.content == b"" and head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_of_a_post_only_route_is_405(server):
    assert httpx.head(server + "/REST/oauth/v5/token").status_code == 405


def test_a_client_hanging_up_mid_body_costs_one_line(api, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    server = api.base.removesuffix(BASE)
    announced = {"Content-Length": "20000"}  # within every channel's cap
    hang_up_mid_body(server, "POST", ENDPOINT, {**announced, "Content-Type": "text/xml"}, b"<soapenv:Envelope")
    hang_up_mid_body(server, "POST", "/REST/oauth/v5/token",
                     {**announced, "Content-Type": "application/x-www-form-urlencoded"}, b"grant_type=")
    hang_up_mid_body(server, "POST", BASE + "/presenceRegistrations/registerInBulk",
                     {**announced, **api.headers, "Content-Type": "application/json"}, b'{"items": [')
    lines = wait_for_access_lines(caplog, 3)
    assert [record.status for record in lines] == ["disconnected"] * 3
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


# --- what this server is ----------------------------------------------------------------------------------

def test_the_root_says_what_the_server_is_and_links_its_documents(server):
    answer = httpx.get(server + "/")
    assert answer.status_code == 200
    described = answer.json()
    assert described["service"] == "presence" and described["version"] and described["environment"] == "simulation"
    links = described["links"]
    for name in ("soap_wsdl", "rest_openapi", "readme", "health"):
        assert httpx.get(links[name]).status_code == 200, name
    assert httpx.get(links["soap_wsdl"]).content.startswith(b"<?xml")
    assert httpx.get(links["rest_openapi"]).json()["info"]["title"] == "presenceRegistration"
    readme = httpx.get(links["readme"]).text
    titles = [section["title"] for section in described["readme_sections"]]
    assert "Set-up" in titles and any(title.startswith("SOAP web service") for title in titles)
    for section in described["readme_sections"]:
        anchor = section["url"].split("#", 1)[1]
        assert f'id="{anchor}"' in readme, section


def test_health_shows_the_check_lag(server, runtime, clock):
    """How long the oldest job ready to run has waited: what a probe alerts on when the checks fall behind."""
    from datetime import timedelta

    from ...helpers import employee_today, register_one, run_checks

    assert httpx.get(server + "/health").json()["jobs"]["oldest_ready_seconds"] is None
    register_one(runtime, employee_today())
    clock.advance(timedelta(seconds=42))
    jobs = httpx.get(server + "/health").json()["jobs"]
    assert jobs["ready"] == 1 and jobs["oldest_ready_seconds"] == 42.0
    run_checks(runtime)
    jobs = httpx.get(server + "/health").json()["jobs"]
    assert jobs["ready"] == 0 and jobs["oldest_ready_seconds"] is None
