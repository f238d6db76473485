"""Email alerts through an outbox: written with the change, sent afterwards, never twice.

:mod:`.outbox` holds the queue and its delivery (the states and the
exactly-once argument are in its docstring), :mod:`.messages` what the
emails say, :mod:`.smtp` the connection to the mail server, and
:mod:`.queries` what ``watcher status`` and ``watcher outbox`` read.
"""

from __future__ import annotations

from .messages import (
    build_message,
    change_content,
    format_time,
    incident_content,
    new_message_id,
    one_line,
    report_link,
)
from .outbox import Backoff, DeliveryReport, Outbox
from .queries import open_incidents, outbox_rows, outbox_summary
from .smtp import open_smtp, outbox_lock, smtp_password

__all__ = [
    "Backoff",
    "DeliveryReport",
    "Outbox",
    "build_message",
    "change_content",
    "format_time",
    "incident_content",
    "new_message_id",
    "one_line",
    "open_incidents",
    "open_smtp",
    "outbox_lock",
    "outbox_rows",
    "outbox_summary",
    "report_link",
    "smtp_password",
]
