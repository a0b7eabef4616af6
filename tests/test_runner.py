"""The process runner's log redaction: the token never reaches a log line or a traceback."""

from __future__ import annotations

import io
import logging

from bot.config import Secret
from bot.runner import RedactSecret

TOKEN = "MTIz.NDU2.Nzg5dG9rZW4"


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecret(Secret(TOKEN)))
    logger = logging.getLogger("tests.runner.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, stream


def test_token_in_a_message_or_its_arguments_is_replaced() -> None:
    logger, stream = _capture()
    logger.warning("connecting with %s", TOKEN)
    logger.warning(f"token={TOKEN}")
    assert TOKEN not in stream.getvalue()
    assert stream.getvalue().count("[token]") == 2


def test_token_in_a_traceback_is_replaced() -> None:
    logger, stream = _capture()
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logger.exception("the bot stopped")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "RuntimeError: login failed for [token]" in output
