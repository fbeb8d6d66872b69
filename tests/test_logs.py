"""Personal numbers never reach a log line, whatever a message or an exception contains."""

import logging
import random
import re
import sys
import uuid

from presence.logs import MaskingFormatter, PersonalNumberFilter, mask_personal_numbers


def test_masking_covers_the_usual_spellings():
    for spelling in ("85073003328", "85.07.30-033.28", "85 07 30 033 28"):
        assert "***********" in mask_personal_numbers(f"person {spelling} refused")
        assert "033" not in mask_personal_numbers(spelling)
    # Other numbers stay readable: receipt numbers, enterprise numbers, Limosa numbers.
    for other in ("0448181966", "24910158641968060", "123456789012345"):
        assert mask_personal_numbers(other) == other
    # Standing alone, between punctuation or underscores, a number is masked.
    for text in ("inss=85073003328,", "(85073003328)", "'85073003328'", "inss_85073003328", "85073003328."):
        assert "85073003328" not in mask_personal_numbers(text)


def tickets_with_eleven_digit_runs(count: int) -> list[str]:
    """Ticket ids as the SOAP service makes them (uuid4 hex) that hold a run of 11 digits or more: about 2.4% of
    them, drawn from a seeded generator so that every run tests the same ones."""
    draw = random.Random(20260303)
    found: list[str] = []
    while len(found) < count:
        ticket = uuid.UUID(int=draw.getrandbits(128), version=4).hex
        if re.search(r"\d{11}", ticket):
            found.append(ticket)
    return found


def test_ticket_ids_and_other_identifiers_stay_intact():
    """A digit run inside a longer token of letters and digits is not a personal number."""
    tickets = tickets_with_eleven_digit_runs(50)
    assert any(re.search(r"[a-f]\d{11}[a-f]", ticket) for ticket in tickets)  # runs inside, not only at the ends
    for ticket in tickets:
        assert mask_personal_numbers(f"SOAP fault SOA-03006, ticket {ticket}: XSD failure") == \
            f"SOAP fault SOA-03006, ticket {ticket}: XSD failure"
    for identifier in ("ab85073003328cd", "85073003328x", "x85073003328", "sha256:0f85073003328e1"):
        assert mask_personal_numbers(identifier) == identifier


def test_the_service_log_line_keeps_its_ticket(caplog):
    [ticket] = tickets_with_eleven_digit_runs(1)
    logger = logging.getLogger("presence.test.ticket")
    record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "SOAP fault %s, ticket %s: %s",
                               ("SOA-03006", ticket, "person 85073003328"), None)
    assert PersonalNumberFilter().filter(record)
    line = MaskingFormatter("%(message)s").format(record)
    assert line == f"SOAP fault SOA-03006, ticket {ticket}: person ***********"


def test_the_filter_masks_arguments_and_messages(caplog):
    logger = logging.getLogger("presence.test")
    handler_filter = PersonalNumberFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="presence.test"):
            logger.info("registered %s on %s", "78012340961", "1Y1000003EQCZ")
            logger.warning("failed: %r", ValueError("INSS 78.01.23-409.61 unknown"))
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert "78012340961" not in text and "409.61" not in text
    assert "1Y1000003EQCZ" in text


def test_tracebacks_are_masked_too():
    from presence.logs import MaskingFormatter

    logger = logging.getLogger("presence.test.traceback")
    try:
        raise ValueError("person 85073003328 unknown")
    except ValueError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    formatted = MaskingFormatter("%(message)s").format(record)
    assert "Traceback" in formatted and "85073003328" not in formatted


def test_database_errors_reach_the_logs_masked(db):
    """SQLAlchemy hides the statement's parameters; PostgreSQL may still quote the failing row in its own
    message, so the log formatter masks it."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from presence.logs import MaskingFormatter

    with pytest.raises(DBAPIError) as error, db.writing() as session:
        session.execute(text("INSERT INTO person (inss) VALUES (:inss)"), {"inss": "85073003328"})
    assert "parameters hidden" in str(error.value)
    logger = logging.getLogger("presence.test.db")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed: %s", (error.value,),
                               (DBAPIError, error.value, error.tb))
    assert "85073003328" not in MaskingFormatter("%(message)s").format(record)
