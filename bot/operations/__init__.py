"""Moderator operations, shared by the ``/marginalia`` commands and the command line, by subject.

``feeds`` (follow, pause, unfollow), ``destinations`` (the channels essays go to), ``posting``
(post, backfill, repost by hand), ``preview``, ``status`` (and the mod-log) and ``backup``.
Each operation validates everything first and then writes once, so a failure stores nothing:
a feed that fails its test fetch is not added, a destination with an unknown feed filter is not
set. Failures the moderator can fix raise ``UserError`` with a message that says what to do.
Discord itself stays out: the cog checks channel kinds and the bot's permissions with
discord.py and passes plain ids and names in here.
"""

from bot.operations.backup import (
    backup_database,
)
from bot.operations.common import (
    as_is,
    fit_lines,
    iso_time,
)
from bot.operations.destinations import (
    ARCHIVE_LABELS,
    DESTINATION_KINDS,
    PERMISSION_LABELS,
    DestinationOptions,
    check_kind,
    describe_destination,
    destination_json,
    destination_kind,
    get_destination,
    match_forum_tags,
    missing_permissions,
    needed_permissions,
    parse_ids,
    remove_destination,
    resume_destination,
    set_destination,
)
from bot.operations.feeds import (
    FEED_HINT,
    AddedFeed,
    FeedCheck,
    add_feed,
    check_feed,
    describe_feed,
    destination_next_step,
    feed_json,
    feed_name,
    feed_next_step,
    feed_url,
    remove_feed,
    resolve_feed,
    set_feed_paused,
)
from bot.operations.posting import (
    BACKFILL_SCAN,
    MAX_BACKFILL,
    BackfillOutcome,
    PostOutcome,
    RepostOutcome,
    accepts,
    backfill_feed,
    fetch_essay_page,
    find_or_ingest_essay,
    find_stored_essay,
    post_essay,
    repost_essay,
)
from bot.operations.preview import (
    PreviewReport,
    format_preview,
    preview_essay,
    summarise_preview,
)
from bot.operations.status import (
    StatusReport,
    format_status,
    guild_status,
    set_modlog,
)

__all__ = [
    "ARCHIVE_LABELS",
    "BACKFILL_SCAN",
    "DESTINATION_KINDS",
    "FEED_HINT",
    "MAX_BACKFILL",
    "PERMISSION_LABELS",
    "AddedFeed",
    "BackfillOutcome",
    "DestinationOptions",
    "FeedCheck",
    "PostOutcome",
    "PreviewReport",
    "RepostOutcome",
    "StatusReport",
    "accepts",
    "add_feed",
    "as_is",
    "backfill_feed",
    "backup_database",
    "check_feed",
    "check_kind",
    "describe_destination",
    "describe_feed",
    "destination_json",
    "destination_kind",
    "destination_next_step",
    "feed_json",
    "feed_name",
    "feed_next_step",
    "feed_url",
    "fetch_essay_page",
    "find_or_ingest_essay",
    "find_stored_essay",
    "fit_lines",
    "format_preview",
    "format_status",
    "get_destination",
    "guild_status",
    "iso_time",
    "match_forum_tags",
    "missing_permissions",
    "needed_permissions",
    "parse_ids",
    "post_essay",
    "preview_essay",
    "remove_destination",
    "remove_feed",
    "repost_essay",
    "resolve_feed",
    "resume_destination",
    "set_destination",
    "set_feed_paused",
    "set_modlog",
    "summarise_preview",
]
