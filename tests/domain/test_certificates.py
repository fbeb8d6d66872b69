"""When a registered certificate authenticates its holder (`domain.certificates.state_at`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from presence.domain.certificates import CertificateState, state_at

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2027, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("now", "state"), [
    (NOT_BEFORE - SECOND, CertificateState.NOT_YET_VALID),
    (NOT_BEFORE, CertificateState.ACTIVE),  # both ends included
    (NOT_AFTER, CertificateState.ACTIVE),
    (NOT_AFTER + SECOND, CertificateState.EXPIRED),
])
def test_a_certificate_is_active_from_its_not_before_to_its_not_after(now, state):
    assert state_at(now, None, NOT_BEFORE, NOT_AFTER) is state


def test_a_revoked_certificate_is_revoked_whatever_its_dates():
    for now in (NOT_BEFORE - SECOND, NOT_BEFORE, NOT_AFTER + SECOND):
        assert state_at(now, NOT_BEFORE, NOT_BEFORE, NOT_AFTER) is CertificateState.REVOKED
