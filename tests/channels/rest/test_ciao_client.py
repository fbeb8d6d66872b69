"""An integrator's existing REST client, `ciao-client` from PyPI, used unchanged against our server: only its
base URL and token URL differ from the social security's. This is what a cleaning company's time-clock
software does: a token with a certificate-signed JWT, then register, read, search and the catalogues."""

from datetime import UTC, datetime, timedelta

import pytest
from ciao_client import CiaoClient
from ciao_client.exceptions import CiaoAPIError, CiaoAuthError
from ciao_client.models import Coordinates, Employer, PlaceOfWork, PresenceSubmission
from cryptography.hazmat.primitives import serialization

from presence.app import create_app
from presence.auth.client_assertions import TOKEN_PATH
from presence.channels.http.ratelimit import Limits
from presence.clock import BRUSSELS, SystemClock
from presence.domain import scopes
from presence.domain.visibility import Caller
from presence.services.access.accounts import create_account, revoke_account
from presence.services.runtime import Runtime
from presence.testing.wssecurity import make_certificate, pem

from ...helpers import CLEANING_SITE, EMPLOYER, WORKER, run_checks
from ..conftest import serving
from .test_routes import BASE


@pytest.fixture
def live(demo_db):
    """The registry on the real clock: the client stamps its assertions and presences with the real time."""
    runtime = Runtime(db=demo_db, clock=SystemClock())
    with serving(create_app(runtime, limits=Limits.none())) as url:
        yield runtime, url


def ciao(runtime, url, scope=scopes.REST_ENTERPRISE):
    key, cert = make_certificate("rsa", not_before=datetime.now(UTC) - timedelta(days=1))
    account = create_account(runtime, Caller.operator(), EMPLOYER, "time clocks", pem(cert), "ciao", [scope])
    private_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return CiaoClient(account.client_id, private_key, base_url=url + BASE, token_url=url + TOKEN_PATH), account


def submission(at: datetime, type_: str = "in") -> PresenceSubmission:
    return PresenceSubmission(
        registration_date=at.astimezone(BRUSSELS).isoformat(timespec="seconds"), ssin=WORKER, type=type_,
        employer=Employer(enterprise_number=EMPLOYER),
        place_of_work=PlaceOfWork(coordinates=Coordinates(longitude=4.3517, latitude=50.8466)),
        contractual_relationship_reference=CLEANING_SITE, custom_reference="badge-7")


def test_an_existing_client_registers_reads_and_searches_unchanged(live):
    runtime, url = live
    client, _account = ciao(runtime, url)
    assert client.test_connection()
    remarks = {remark.code: remark for remark in client.get_remarks()}
    assert set(remarks["CAW_14"].labels) == {"fr", "nl", "de", "en"}
    assert client.get_remark("CAW_14").code == "CAW_14"
    assert client.get_activities() and client.get_activity(client.get_activities()[0].code).labels

    now = datetime.now(UTC)
    [created, too_late] = client.register_in_bulk([submission(now), submission(now - timedelta(minutes=30))])
    assert created.ok and created.created.validity == "pending" and created.created.type == "in"
    assert not too_late.ok and too_late.errors[0].error_code and too_late.errors[0].error_description

    run_checks(runtime)
    presence = client.get_registration(created.created.id)
    assert presence.masked_ssin == WORKER[:2] + "*" * 9
    assert presence.contractual_relationship_reference == CLEANING_SITE
    assert presence.custom_reference == "badge-7" and presence.status.code == "registered"
    assert presence.validity in ("valid", "invalid") and presence.employer.enterprise_number == EMPLOYER

    window = {"startDate": (now - timedelta(hours=1)).isoformat(), "endDate": (now + timedelta(hours=1)).isoformat()}
    page = client.search({"registrationDate": window, "contractualRelationshipReference": CLEANING_SITE})
    assert [p.id for p in page.items] == [created.created.id] and page.total == 1 and page.total_pages == 1
    assert [p.id for p in client.search_all({"registrationDate": window}, page_size=1)] == [created.created.id]

    with pytest.raises(CiaoAPIError) as missing:
        client.get_registration(999_999_999)
    assert missing.value.status_code == 404


def test_a_revoked_account_is_refused_to_the_client(live):
    runtime, url = live
    client, account = ciao(runtime, url, scopes.REST_PROFESSIONAL)
    assert client.get_remarks()
    with pytest.raises(CiaoAuthError):  # consultation scope only: registering is forbidden
        client.register_in_bulk([submission(datetime.now(UTC))])
    revoke_account(runtime, Caller.operator(), account.client_id)
    with pytest.raises(CiaoAuthError):
        client.get_remarks()  # the token it held died with the account, and no new one is given
