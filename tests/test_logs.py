"""Personal numbers never reach a log line, whatever a message or an exception contains."""

import logging
import sys

from presence.logs import PersonalNumberFilter, mask_personal_numbers


def test_masking_covers_the_usual_spellings():
    for spelling in ("85073003328", "85.07.30-033.28", "85 07 30 033 28"):
        assert "***********" in mask_personal_numbers(f"person {spelling} refused")
        assert "033" not in mask_personal_numbers(spelling)
    # Other numbers stay readable: receipt numbers, enterprise numbers, Limosa numbers.
    for other in ("0448181966", "24910158641968060", "123456789012345"):
        assert mask_personal_numbers(other) == other


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
