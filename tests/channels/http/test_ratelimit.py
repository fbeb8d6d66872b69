"""Rate limits per client id: token endpoint and REST API answer 429 with `Retry-After`, per client."""

import httpx
import pytest

from presence.app import create_app
from presence.channels.http.ratelimit import FailureLimiter, Limit, Limits, RateLimiter
from presence.domain import scopes
from presence.testing.wssecurity import make_certificate

from ...helpers import CLIENT
from ..conftest import serving
from ..rest.test_routes import BASE, assert_problem
from ..rest.test_token_endpoint import make_client

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
    monkeypatch.setenv("PRESENCE_TOKEN_FAILURES_PER_MINUTE", "12")
    monkeypatch.setenv("PRESENCE_TOKEN_FAILURE_BURST", "8")
    limits = Limits.from_settings(processes=4)
    assert limits.api == Limit(25, 10) and limits.token == Limit(0.5, 5)
    assert limits.token_failures == Limit(0.05, 2) and limits.token_failures_overall == Limit(2.5, 100)


def test_failures_hold_back_their_address_then_all_that_failed_when_too_many_fail():
    time = FakeTime()
    failures = FailureLimiter(Limit(rate=0.1, burst=3), Limit(rate=1, burst=5), clock=time)
    for _ in range(3):
        assert failures.retry_after("attacker") is None
        failures.failed("attacker")
    assert failures.retry_after("attacker") == 10  # its own budget is spent: one more in 10 s
    assert failures.retry_after("owner") is None  # others are not concerned
    failures.failed("second")
    failures.failed("third")  # five failures in all: the overall budget is spent
    assert failures.retry_after("second") == 1 and failures.retry_after("third") == 1
    assert failures.retry_after("owner") is None  # an address that did not fail is never held back
    time.now += 1
    assert failures.retry_after("second") is None
    time.now += 60  # every bucket full again: nobody is held back
    assert all(failures.retry_after(a) is None for a in ("attacker", "second", "third", "owner"))


@pytest.fixture
def limited_server(runtime):
    with serving(create_app(runtime, limits=Limits(token=Limit(SLOW, 2), api=Limit(SLOW, 3)))) as url:
        yield url


def test_the_token_endpoint_limits_each_client(limited_server, runtime, clock):
    client = make_client(limited_server, runtime, clock)
    assert [client.request().status_code for _ in range(2)] == [200, 200]
    refused = client.request()
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 100
    assert refused.json()["error"] == "temporarily_unavailable" and "access_token" not in refused.json()
    assert refused.headers["cache-control"] == "no-store"
    other = make_client(limited_server, runtime, clock, enterprise=CLIENT, scope=[scopes.REST_PROFESSIONAL])
    assert other.request().status_code == 200


def test_the_api_limits_each_client_id(limited_server, runtime, clock):
    def api(client):
        token = client.request().json()["access_token"]
        return lambda: httpx.get(limited_server + BASE + "/refData/activities", timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})

    employer = api(make_client(limited_server, runtime, clock))
    # Unauthenticated requests are not counted against anyone.
    assert httpx.get(limited_server + BASE + "/refData/activities", timeout=30).status_code == 401
    assert [employer().status_code for _ in range(3)] == [200, 200, 200]
    refused = employer()
    body = assert_problem(refused, 429, "urn:problem-type:belgif:tooManyRequests")
    assert int(refused.headers["retry-after"]) > 100 and "retry after" in body["detail"]
    other = api(make_client(limited_server, runtime, clock, enterprise=CLIENT, scope=[scopes.REST_PROFESSIONAL]))
    assert other().status_code == 200


def from_address(address: str) -> httpx.Client:
    """A client whose connections leave from another loopback address (another source, as far as the server
    can tell)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_requests_naming_a_client_id_never_lock_out_its_owner(runtime, clock):
    """An attacker names the owner's client id (client_id, or iss of an unsigned or badly signed assertion)
    25 times: the attacker's address is held back; the owner's next requests get their tokens."""
    limits = Limits(token=Limit(SLOW, 2), api=Limit(SLOW, 3), token_failures=Limit(SLOW, 5),
                    token_failures_overall=Limit(SLOW, 1_000))
    with serving(create_app(runtime, limits=limits)) as url:
        owner = make_client(url, runtime, clock)
        stranger_key, _ = make_certificate()
        forged = [owner.form(client_id=owner.client_id, client_assertion="not.a.jwt"),
                  owner.form(client_assertion=owner.assertion().rsplit(".", 1)[0] + "."),  # signature removed
                  owner.form(client_assertion=owner.assertion(key=stranger_key))]  # signed by another key
        with from_address("127.0.0.2") as attacker:
            statuses = [attacker.post(owner.token_url, data=forged[n % 3]).status_code for n in range(25)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        assert [owner.request().status_code for _ in range(2)] == [200, 200]
        assert owner.request().status_code == 429  # its own limit still counts its own valid requests


def test_a_flood_from_many_addresses_is_held_back_as_a_whole(runtime, clock):
    limits = Limits(token=Limit(SLOW, 5), api=Limit(SLOW, 3), token_failures=Limit(SLOW, 3),
                    token_failures_overall=Limit(SLOW, 4))
    with serving(create_app(runtime, limits=limits)) as url:
        owner = make_client(url, runtime, clock)
        bad = owner.form(client_assertion="not.a.jwt")
        attackers = [from_address(f"127.0.0.{n}") for n in range(2, 6)]
        try:
            assert [a.post(owner.token_url, data=bad).status_code for a in attackers] == [401] * 4
            # The overall budget is spent: each address that failed is held back, though its own is not.
            assert [a.post(owner.token_url, data=bad).status_code for a in attackers] == [429] * 4
        finally:
            for attacker in attackers:
                attacker.close()
        assert owner.request().status_code == 200  # an address that never failed


def test_asking_for_a_scope_it_does_not_hold_never_holds_back_a_client(runtime, clock):
    """A misconfigured client asks again and again for a scope its account lacks: refused each time, but its
    address is not held back for it."""
    limits = Limits(token=Limit(0, 0), api=Limit(0, 0), token_failures=Limit(SLOW, 3),
                    token_failures_overall=Limit(SLOW, 3))
    with serving(create_app(runtime, limits=limits)) as url:
        client = make_client(url, runtime, clock, scope=[scopes.REST_PROFESSIONAL])
        refused = [client.request(client.form(scope=scopes.REST_ENTERPRISE)) for _ in range(10)]
        assert {(answer.status_code, answer.json()["error"]) for answer in refused} == {(400, "invalid_scope")}
        assert client.request().status_code == 200
