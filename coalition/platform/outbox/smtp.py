"""Sending one mail over SMTP, as ``COALITION_SMTP_URL`` says."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from coalition.platform.errors import validation
from coalition.platform.outbox.repository import MailRecord
from coalition.platform.outbox.service import MailNotAccepted

SMTP_TIMEOUT_SECONDS = 30.0


class SmtpSender:
    """``smtp://[user:pass@]host[:port]`` (port 25 unless given; STARTTLS when the
    server offers it) or ``smtps://[user:pass@]host[:port]`` (TLS from the start, port 465)."""

    def __init__(self, url: str, mail_from: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise validation(f"not an SMTP URL (smtp://host:port or smtps://...): {url}", "smtpUrl")
        self._implicit_tls = parts.scheme == "smtps"
        self._hostname = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._mail_from = mail_from

    def message(self, mail: MailRecord) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id
        message.set_content(mail.body)
        return message

    async def send(self, mail: MailRecord) -> None:
        """Returns once the server accepted the mail; raises ``MailNotAccepted`` otherwise."""
        try:
            await aiosmtplib.send(
                self.message(mail),
                hostname=self._hostname,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._implicit_tls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotAccepted(f"{type(error).__name__}: {error}") from error
