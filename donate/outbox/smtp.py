"""Sending one OutboxMessage over SMTP with Flask-Mail, with a bounded timeout."""

import hashlib
import smtplib
from email.charset import QP, Charset
from email.mime.text import MIMEText
from email.policy import Policy

from flask import current_app
from flask_mail import Connection, Mail, Message

from donate.outbox.models import OutboxMessage


class TimedConnection(Connection):
    """Flask-Mail's connection, but a dead SMTP server fails within MAIL_TIMEOUT seconds.

    Flask-Mail 0.10 opens smtplib connections without a timeout, so a server that accepts
    the TCP connection and then hangs would stall the worker for ever.
    """

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class UnfoldedHeader(str):
    """A header value written on one line as it is, such as List-Unsubscribe's <URL>.

    Python's email package folds a header line over 78 characters, and a URL with no space to
    fold at becomes RFC 2047 encoded words, which List-Unsubscribe (RFC 2369, RFC 8058) does
    not allow: mail providers would not find the one-click link. A value with a `name` is
    written by its own fold() (the header-object protocol of email.policy.EmailPolicy).
    """

    def __new__(cls, name: str, value: str) -> "UnfoldedHeader":
        if len(name) + len(value) > 900 or "\n" in value or "\r" in value:
            raise ValueError(f"{name} does not fit on one line")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_QUOTED_PRINTABLE_UTF8 = Charset("utf-8")
_QUOTED_PRINTABLE_UTF8.body_encoding = QP


class OutboxMail(Message):
    """Flask-Mail's message with text parts that any SMTP server takes as they are.

    Flask-Mail makes UTF-8 parts 8bit, so a long HTML line goes out longer than the 998
    characters RFC 5322 allows (and 8bit needs the server's 8BITMIME); quoted-printable keeps
    every line short and 7-bit.
    """

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        return MIMEText(text or "", _subtype=subtype, _charset=_QUOTED_PRINTABLE_UTF8)


def as_mail(message: OutboxMessage, sender: str) -> Message:
    headers = {name: UnfoldedHeader(name, value) for name, value in (message.headers or {}).items()}
    mail = OutboxMail(subject=message.subject, recipients=[message.to_address],
                      body=message.body_text, html=message.body_html, sender=sender,
                      extra_headers=headers)
    # A stable Message-ID: if a crash makes us send a message twice, mail clients see one.
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    mail.msgId = f"<{digest}@{current_app.config['MAIL_MESSAGE_ID_DOMAIN']}>"
    return mail


def open_connection() -> TimedConnection:
    mail: Mail = current_app.extensions["mail"]
    return TimedConnection(mail)
