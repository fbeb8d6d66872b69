from presence.services.access.senders import client_id, sender_number

from ...conftest import NOW


def test_sender_numbers_are_given_once_per_enterprise(db):
    with db.writing() as session:
        first = sender_number(session, "0448181966", NOW)
        second = sender_number(session, "0566988259", NOW)
    with db.writing() as session:
        assert sender_number(session, "0448181966", NOW) == first
    assert second != first
    assert client_id(first) == f"self_service_expeditor_{first}"
