"""The emails a change in the ledger causes, enqueued in the ledger's own transaction.

Each speaks the donor's language, not the request's: most are caused by a provider's webhook.
"""

from flask_babel import gettext as _

from donate.i18n import speaking
from donate.ledger.models import Donation, Pledge
from donate.ledger.receipts import receipt_number_for, shown_in
from donate.ledger.states import DonationStatus, PledgeStatus
from donate.mail.render import render_email
from donate.money import Money
from donate.outbox.enqueue import enqueue
from donate.payments.registry import provider_named
from donate.urls import external_url

D, P = DonationStatus, PledgeStatus
UNPAID = {D.PENDING, D.FAILED, D.CANCELLED}


def donation_changed(donation: Donation, old: DonationStatus, new: DonationStatus) -> None:
    email = donation.donor.email if donation.donor else None
    if not email:
        return
    with speaking(donation.locale):
        if new == D.COMPLETED and old in UNPAID:
            _send_receipt(donation, email)
            if donation.newsletter_opt_in:
                from donate.newsletter.service import sign_up_from_checkout

                sign_up_from_checkout(email, donation.source)
        elif new in {D.REFUNDED, D.PARTIALLY_REFUNDED}:
            refunded = Money(donation.refunded_minor, donation.currency)
            _send(donation, email, "refund",
                  _("Your refund of %(amount)s", amount=refunded.format()),
                  f"refund:{donation.public_id}:{donation.refunded_minor}", refunded=refunded)


def pledge_changed(pledge: Pledge, old: PledgeStatus, new: PledgeStatus) -> None:
    email = pledge.donor.email if pledge.donor else None
    if not email:
        return
    amount = Money(pledge.charged_minor, pledge.currency)
    with speaking(pledge.donor.locale):
        if new == P.PAST_DUE:
            _send(pledge, email, "payment_failed",
                  _("Your monthly donation did not go through"),
                  f"payment-failed:{pledge.public_id}:{pledge.status_as_of:%Y%m%d%H%M%S}",
                  pledge=pledge, amount=amount)
        elif new == P.CANCELLED and old in {P.ACTIVE, P.PAST_DUE}:
            _send(pledge, email, "pledge_cancelled", _("Your monthly donation has ended"),
                  f"pledge-cancelled:{pledge.public_id}", pledge=pledge, amount=amount)


def _send_receipt(donation: Donation, email: str) -> None:
    installment = donation.kind == "installment"
    values = {"number": receipt_number_for(donation), "amount": donation.charged.format()}
    subject = (_("Receipt %(number)s: your monthly donation of %(amount)s", **values)
               if installment else _("Receipt %(number)s: your donation of %(amount)s", **values))
    _send(donation, email, "receipt", subject, f"receipt:{donation.public_id}",
          installment=installment)


def _send(row: Donation | Pledge, email: str, template: str, subject: str, dedupe_key: str,
          **context) -> None:
    provider = provider_named(row.provider)
    if isinstance(row, Donation):
        context["number"] = receipt_number_for(row)
    rendered = render_email(template, subject, donation=row, manage_url=external_url(
        "donors.manage"), method=provider.label if provider else row.provider.title(), **context)
    message_id = enqueue(kind=template, dedupe_key=dedupe_key, to=email,
                         subject=rendered.subject, text=rendered.text, html=rendered.html)
    if isinstance(row, Donation):
        shown_in(row, message_id)
