"""The one exception family for outside services, so that callers can handle "the outside world
let us down" in one place whatever the service was."""


class OutsideServiceError(Exception):
    """An outside service failed: it did not answer in time, refused, or answered nonsense."""


class SpamCheckError(OutsideServiceError):
    """The spam-scoring API failed."""


class SpamApiBusy(SpamCheckError):
    """The spam API answered 429 Too Many Requests: come back in ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the spam API is busy: it asks to come back in {retry_after:g} s")
        self.retry_after = retry_after


class MailError(OutsideServiceError):
    """The SMTP server did not take the message."""
