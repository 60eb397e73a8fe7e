"""Mailer: delivers an email through an SMTP server (in development, the SMTP sink).

It opens one connection per message, with a timeout; every failure (nobody listening, a slow
or refusing server, a rejected recipient) becomes a :class:`MailError`. What the message says
is the models' business (e.g. :meth:`Comment.notification_for_author`).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from blog_app.config import BlogConfig
from blog_app.services.errors import MailError


class Mailer:
    def __init__(self, host: str, port: int, timeout: float, sender: str) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sender = sender

    @classmethod
    def from_config(cls, config: BlogConfig) -> Mailer:
        return cls(config.smtp_host, config.smtp_port, config.smtp_timeout, config.mail_from)

    def deliver(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            # smtplib reports a server that stopped answering mid-conversation this way.
            raise MailError(
                f"the SMTP server at {self.address} did not answer in time, or hung up: {error}"
            ) from error
        except smtplib.SMTPException as error:
            raise MailError(
                f"the SMTP server at {self.address} refused the mail: {error}"
            ) from error
        except TimeoutError as error:
            raise MailError(f"the SMTP server at {self.address} did not answer in time") from error
        except OSError as error:
            raise MailError(
                f"could not reach the SMTP server at {self.address}: {error}"
            ) from error

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
