"""Talking to the SMTP server: connection, STARTTLS/SSL, login, the sender lock."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import logging
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

from ..config import SmtpSettings
from ..errors import NotifyError
from ..store import Store
from .messages import one_line

log = logging.getLogger(__name__)

LOCK_NAME = "outbox.lock"


def dot_stuffed(message: bytes) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, ``CRLF . CRLF`` at the end."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@contextlib.contextmanager
def outbox_lock(data_dir: Path) -> Iterator[bool]:
    """Hold the data directory's outbox lock; yields False when another sender has it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def synchronous_full(store: Store) -> Iterator[None]:
    """Make every commit durable (fsync) while delivering, then restore the default."""
    conn = store.db.conn
    before = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA synchronous = FULL")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA synchronous = {int(before)}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def smtp_password(settings: SmtpSettings) -> str | None:
    """The SMTP password from the environment variable named in the settings."""
    if settings.user is None:
        return None
    password = os.environ.get(settings.password_env, "")
    if not password:
        raise NotifyError(
            f"settings.smtp.user is set but the environment variable "
            f"{settings.password_env} (the SMTP password) is empty or unset"
        )
    return password


def open_smtp(settings: SmtpSettings) -> smtplib.SMTP:
    """A connected, greeted (and with ``user``, logged-in) SMTP session.

    Raises :class:`NotifyError` with one line for every failure.
    """
    password = smtp_password(settings)
    if password is not None and settings.security == "none" and not _is_loopback(settings.host):
        raise NotifyError(
            f"refusing to send the SMTP password to {settings.host} unencrypted "
            "(set settings.smtp.security to starttls or ssl)"
        )
    where = f"{settings.host}:{settings.port}"
    conn: smtplib.SMTP | None = None
    try:
        conn = _connect(settings)
        if settings.user is not None and password is not None:
            _login(conn, settings.user, password)
        return conn
    except NotifyError:
        quit_quietly(conn)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        quit_quietly(conn)
        raise NotifyError(f"SMTP server {where} refused the login: {_reply(exc)}") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        quit_quietly(conn)
        raise NotifyError(f"cannot use SMTP server {where}: {describe_error(exc)}") from None


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    hostname = socket.gethostname() or "localhost"
    context = ssl.create_default_context()
    if settings.security == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=hostname,
            timeout=settings.timeout,
            context=context,
        )
        conn.ehlo()
        return conn
    conn = smtplib.SMTP(settings.host, settings.port, hostname, timeout=settings.timeout)
    conn.ehlo()
    if settings.security == "starttls":
        if not conn.has_extn("starttls"):
            quit_quietly(conn)
            raise NotifyError(
                f"SMTP server {settings.host}:{settings.port} does not offer STARTTLS"
            )
        conn.starttls(context=context)
        conn.ehlo()
    return conn


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with one mechanism (PLAIN, else LOGIN, else CRAM-MD5): a wrong password
    is tried once, not once per mechanism (servers lock accounts out for less)."""
    offered = conn.esmtp_features.get("auth", "").upper().split()
    conn.user, conn.password = user, password
    if "PLAIN" in offered:
        conn.auth("PLAIN", conn.auth_plain)
    elif "LOGIN" in offered:
        conn.auth("LOGIN", conn.auth_login, initial_response_ok=False)
    elif "CRAM-MD5" in offered:
        conn.auth("CRAM-MD5", conn.auth_cram_md5)
    else:
        raise NotifyError(
            f"SMTP server offers no login method watcher supports ({' '.join(offered) or 'none'})"
        )


def quit_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return one_line(f"{exc.smtp_code} {text}".strip(), 200)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return one_line(exc.strerror, 200)
    return one_line(str(exc) or type(exc).__name__, 200)
