"""Runs the bot process: logging that never shows the token, then the client."""

from __future__ import annotations

import logging

from bot.config import Secret, Settings

logger = logging.getLogger(__name__)


class RedactSecret(logging.Filter):
    """Replaces the token wherever it would appear in a log record."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._value = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        if self._value and self._value in record.getMessage():
            record.msg = record.getMessage().replace(self._value, "[token]")
            record.args = None
        return True


def install_redaction(secret: Secret) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecret(secret))


def run_bot(settings: Settings) -> int:
    assert settings.token is not None
    install_redaction(settings.token)
    from bot.client import create_bot  # discord.py is loaded only for `run`

    bot = create_bot(settings)
    try:
        # log_handler=None: keep the logging configured by the CLI (and its redaction).
        bot.run(settings.token.reveal(), log_handler=None)
    except Exception as exc:  # discord.LoginFailure and friends; the token is not in these messages
        logger.error("the bot stopped: %s", type(exc).__name__)
        return 1
    return 0
