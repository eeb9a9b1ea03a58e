"""Reading an email address someone typed: one rule for every form."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

MAX_EMAIL = 254


def read_email(value: str) -> str:
    """The normalised, lower-cased address, or ValueError with a message for the person.

    Line breaks and other header-injection tricks are not valid addresses, so they fail here.
    """
    if len(value) > MAX_EMAIL:
        raise ValueError(_("An email address has at most %(count)d characters", count=MAX_EMAIL))
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(_("Enter an email address such as name@example.org")) from None
