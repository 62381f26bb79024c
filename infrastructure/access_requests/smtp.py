"""E-mail through an SMTP server with the standard library."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from application.ports import DeliveryError, EmailSender


class SmtpEmailSender(EmailSender):
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        # Plain text only: no HTML, no remote images, nothing to track an open.
        message.set_content(body, charset="utf-8")
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # The error names the failure, never the address or the text.
            raise DeliveryError("email", type(error).__name__) from None


class UnconfiguredEmailSender(EmailSender):
    """Stands in until GDPRKIT_SMTP_HOST is set: every send fails visibly."""

    def send(self, to: str, subject: str, body: str) -> None:
        raise DeliveryError("email", "no SMTP server is configured (GDPRKIT_SMTP_HOST)")
