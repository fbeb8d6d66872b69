"""Personal numbers never reach a log line, whatever a message or an exception contains."""

import logging

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
