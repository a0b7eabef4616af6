"""Runs the bot process: logging that never shows the token, then the client until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Secret, Settings

logger = logging.getLogger(__name__)


class RedactSecret(logging.Filter):
    """Replaces the token wherever it would appear in a log record."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._value = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._value:
            return True
        if self._value in record.getMessage():
            record.msg = record.getMessage().replace(self._value, "[token]")
            record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, so it can be scrubbed like the message.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._value in record.exc_text:
            record.exc_text = record.exc_text.replace(self._value, "[token]")
            record.exc_info = None
        return True


def install_redaction(secret: Secret) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecret(secret))


async def serve(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM, then close the gateway and the store cleanly."""
    assert settings.token is not None
    from bot.client import LoginFailure, create_bot  # loads discord.py only for `run`

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bot = create_bot(settings)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.token.reveal()), name="discord")
        stopper = asyncio.create_task(stop.wait(), name="signals")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stopper.cancel()
            try:
                runner.result()
            except LoginFailure:
                logger.error("Discord refused the token: check DISCORD_TOKEN")
                return 1
            except Exception as exc:  # the message of these never holds the token
                logger.error("the bot stopped: %s: %s", type(exc).__name__, exc)
                return 1
            return 0
        logger.info("stopping on signal")
        await bot.close()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    return 0


def run_bot(settings: Settings) -> int:
    assert settings.token is not None
    install_redaction(settings.token)
    return asyncio.run(serve(settings))
