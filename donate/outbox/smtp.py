"""Sending one OutboxMessage over SMTP with Flask-Mail, with a bounded timeout."""

import hashlib
import smtplib

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


def as_mail(message: OutboxMessage, sender: str) -> Message:
    mail = Message(subject=message.subject, recipients=[message.to_address], body=message.body_text,
                   html=message.body_html, sender=sender,
                   extra_headers=dict(message.headers or {}))
    # A stable Message-ID: if a crash makes us send a message twice, mail clients see one.
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    mail.msgId = f"<{digest}@{current_app.config['MAIL_MESSAGE_ID_DOMAIN']}>"
    return mail


def open_connection() -> TimedConnection:
    mail: Mail = current_app.extensions["mail"]
    return TimedConnection(mail)
