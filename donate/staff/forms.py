"""Staff forms. Every POST form carries Flask-WTF's CSRF token; GET filter forms do not."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from donate.ledger.states import DonationStatus, PledgeStatus
from donate.money import CURRENCY_EXPONENTS
from donate.staff.accounts import MIN_PASSWORD
from donate.staff.models import Role

PROVIDERS = ("stripe", "paypal", "sandbox")
#: Dates outside these are typing mistakes (and would make a chart of thousands of bars).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def choices(values, anything: bool = True) -> list[SelectChoice]:
    """Options for a select: each value labelled in words, after "Any" for a filter."""
    options = [SelectChoice(str(value), str(value).replace("_", " ")) for value in values]
    return [SelectChoice("", "Any"), *options] if anything else options


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class RefundForm(FlaskForm):
    amount = StringField("Amount to refund", validators=[Optional(), Length(max=20)],
                         description="In major units, such as 5 or 5.50; empty refunds all "
                                     "that is left.")


class NewStaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=choices(Role.ALL, anything=False), default=Role.VIEWER)
    password = PasswordField("First password", validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=1024,
                               message=f"A staff password has at least {MIN_PASSWORD} characters")],
                             render_kw={"autocomplete": "new-password"},
                             description=f"At least {MIN_PASSWORD} characters; tell it to them "
                                         "in person or by phone, not by email.")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=choices(Role.ALL, anything=False))


class FilterForm(FlaskForm):
    """Filters read from the query string; they change nothing, so no CSRF token."""

    class Meta:
        csrf = False

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_from(self, field) -> None:
        if field.data and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(f"Pick a date from {EARLIEST.year} to {LATEST.year}")

    def validate_date_to(self, field) -> None:
        self.validate_date_from(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date")


class DonationFilterForm(FilterForm):
    status = SelectField("Status", choices=choices(DonationStatus), default="")
    provider = SelectField("Provider", choices=choices(PROVIDERS), default="")
    currency = SelectField("Currency", choices=choices(sorted(CURRENCY_EXPONENTS)), default="")
    frequency = SelectField("Frequency", choices=choices(("once", "monthly")), default="")
    source = StringField("Source page", validators=[Optional(), Length(max=2048)],
                         description="The article's full address, as in the reports.")


class PledgeFilterForm(FilterForm):
    status = SelectField("Status", choices=choices(PledgeStatus), default="")
    provider = DonationFilterForm.provider
    currency = DonationFilterForm.currency


class DonorSearchForm(FilterForm):
    q = StringField("Email or name", validators=[Optional(), Length(max=254)])


class DashboardRangeForm(FilterForm):
    """The dashboard's chosen range; the last 30 days when left empty."""


class ConfirmForm(FlaskForm):
    """A box to tick before something that cannot be undone."""

    confirm = BooleanField("I understand that this cannot be undone", validators=[DataRequired()])
