"""The one exception family for outside services, so that callers can handle "the outside world
let us down" in one place whatever the service was."""


class OutsideServiceError(Exception):
    """An outside service failed: it did not answer in time, refused, or answered nonsense."""


class SpamCheckError(OutsideServiceError):
    """The spam-scoring API failed."""


class MailError(OutsideServiceError):
    """The SMTP server did not take the message."""
