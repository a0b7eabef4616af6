"""Errors meant for the person who ran a command.

Raise ``UserError`` anywhere (core or cog) with a message that says what to do;
the one error handler in ``bot.client`` shows it ephemerally. Anything else is
unexpected: it is logged with an id that the reply quotes.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str()`` is the short message shown to them."""


class NotFoundError(UserError):
    """The essay, feed or channel asked for does not exist."""


class NotAllowedError(UserError):
    """The member lacks the permission the command needs."""
