"""Rate limits per client id: token endpoint and REST API answer 429 with `Retry-After`, per client."""

import httpx
import pytest

from presence.api.app import create_app
from presence.api.ratelimit import Limit, Limits, RateLimiter
from presence.domain import scopes

from ..helpers import CLIENT
from .conftest import serving
from .test_oauth import make_client
from .test_rest import BASE, assert_problem

SLOW = 0.001  # one request per 1,000 s: an emptied bucket stays empty for the test's duration


class FakeTime:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    time = FakeTime()
    limiter = RateLimiter(Limit(rate=2, burst=3), clock=time)
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("a") == 1  # half a second to the next token: whole seconds, rounded up
    assert limiter.retry_after("b") is None  # another client has its own bucket
    time.now += 0.5
    assert limiter.retry_after("a") is None and limiter.retry_after("a") == 1
    time.now += 60
    assert [limiter.retry_after("a") for _ in range(4)] == [None, None, None, 1]  # never more than the burst
    slow = RateLimiter(Limit(rate=0.01, burst=1), clock=time)
    assert slow.retry_after("a") is None and slow.retry_after("a") == 100
    unlimited = RateLimiter(Limit(0, 0), clock=time)
    assert all(unlimited.retry_after("a") is None for _ in range(1_000))


def test_idle_clients_are_forgotten_when_there_are_too_many(monkeypatch):
    time = FakeTime()
    limiter = RateLimiter(Limit(rate=1, burst=1), clock=time)
    monkeypatch.setattr(RateLimiter, "MAX_CLIENTS", 10)
    for n in range(10):
        limiter.retry_after(f"client {n}")
    time.now += 5  # every bucket is full again: nothing worth keeping
    limiter.retry_after("one more")
    assert len(limiter._buckets) == 1


def test_serving_processes_share_the_limits(monkeypatch):
    monkeypatch.setenv("PRESENCE_API_REQUESTS_PER_SECOND", "100")
    monkeypatch.setenv("PRESENCE_API_BURST", "40")
    monkeypatch.setenv("PRESENCE_TOKEN_REQUESTS_PER_MINUTE", "120")
    limits = Limits.from_settings(processes=4)
    assert limits.api == Limit(25, 10) and limits.token == Limit(0.5, 5)


@pytest.fixture
def limited_server(registry):
    with serving(create_app(registry, limits=Limits(token=Limit(SLOW, 2), api=Limit(SLOW, 3)))) as url:
        yield url


def test_the_token_endpoint_limits_each_client(limited_server, registry, clock):
    client = make_client(limited_server, registry, clock)
    assert [client.request().status_code for _ in range(2)] == [200, 200]
    refused = client.request()
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 100
    assert refused.json()["error"] == "temporarily_unavailable" and "access_token" not in refused.json()
    assert refused.headers["cache-control"] == "no-store"
    other = make_client(limited_server, registry, clock, enterprise=CLIENT, scope=[scopes.REST_PROFESSIONAL])
    assert other.request().status_code == 200


def test_the_api_limits_each_client_id(limited_server, registry, clock):
    def api(client):
        token = client.request().json()["access_token"]
        return lambda: httpx.get(limited_server + BASE + "/refData/activities", timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})

    employer = api(make_client(limited_server, registry, clock))
    # Unauthenticated requests are not counted against anyone.
    assert httpx.get(limited_server + BASE + "/refData/activities", timeout=30).status_code == 401
    assert [employer().status_code for _ in range(3)] == [200, 200, 200]
    refused = employer()
    body = assert_problem(refused, 429, "urn:problem-type:belgif:tooManyRequests")
    assert int(refused.headers["retry-after"]) > 100 and "retry after" in body["detail"]
    other = api(make_client(limited_server, registry, clock, enterprise=CLIENT, scope=[scopes.REST_PROFESSIONAL]))
    assert other().status_code == 200
