import io
import logging
from collections.abc import Iterator

import pytest

from guichet.core.logfilters import MaskPersonalData


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler configured by settings.LOGGING writes, captured."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert len(handlers) == 1
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_personal_data_is_masked_by_the_configured_logger(console: io.StringIO) -> None:
    # Given the logger configured by the settings
    log = logging.getLogger("guichet.intake")
    # When a line carries personal data in its message and in its arguments
    log.warning(
        "reply to %s failed, NIR %s, IBAN %s, card %s, phone %s",
        "jeanne.dupont@example.org",
        "2 69 05 49 588 157 80",
        "FR76 3000 6000 0112 3456 7890 189",
        "4111 1111 1111 1111",
        "06 12 34 56 78",
    )
    log.warning("citizen jeanne.dupont@example.org wrote again")
    # Then none of it reaches the log, each replaced by its kind
    lines = console.getvalue().splitlines()
    assert [line.split(" guichet.intake ", 1)[1] for line in lines] == [
        "reply to [EMAIL] failed, NIR [NIR], IBAN [IBAN], card [CARD], phone [PHONE]",
        "citizen [EMAIL] wrote again",
    ]
    assert "dupont" not in console.getvalue()


def test_exception_text_is_masked(console: io.StringIO) -> None:
    log = logging.getLogger("guichet.channels")
    try:
        raise ValueError("mailbox full for jeanne.dupont@example.org")
    except ValueError:
        log.exception("delivery failed")
    output = console.getvalue()
    assert "ValueError: mailbox full for [EMAIL]" in output
    assert "jeanne.dupont" not in output


def _record(msg: str, args: tuple[object, ...] | None) -> logging.LogRecord:
    return logging.LogRecord("x", logging.INFO, __file__, 1, msg, args, None)


def test_a_line_without_personal_data_is_left_as_it_was() -> None:
    record = _record('"GET /desk/case/%s/ HTTP/1.1" %d %d', ("VIL-2026-000123", 200, 5120))
    assert MaskPersonalData().filter(record) is True
    assert record.args == ("VIL-2026-000123", 200, 5120)
    assert record.getMessage() == '"GET /desk/case/VIL-2026-000123/ HTTP/1.1" 200 5120'


def test_a_record_that_cannot_be_formatted_is_kept() -> None:
    record = _record("%s and %s", ("only one",))
    assert MaskPersonalData().filter(record) is True
    assert record.msg == "%s and %s"
