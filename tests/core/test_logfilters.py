import logging

from guichet.core.logfilters import RedactSecrets, redact


def test_tracking_tokens_never_reach_the_logs():
    assert (
        redact("GET /portail/villebois/suivi/Ab3_x-9Zk/ HTTP/1.1")
        == "GET /portail/villebois/suivi/…/ HTTP/1.1"
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/portail/villebois/suivi/SECRETTOKEN123/", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record) is True
    assert "SECRETTOKEN123" not in record.getMessage()
