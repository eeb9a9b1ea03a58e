"""Admin actions on money and email: refund a donation, retry emails that could not be sent."""

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import or_, select

from donate.extensions import db
from donate.money import AmountError, Money, parse_amount
from donate.outbox import worker
from donate.outbox.models import OutboxMessage, OutboxStatus
from donate.payments.refunds import request_refund
from donate.staff import bp
from donate.staff.access import admin_required, audit
from donate.staff.donations import donation_or_404, left_to_refund
from donate.staff.forms import RefundForm

#: Large enough for any refund; request_refund checks the real bound (what is left to refund).
NO_UPPER_BOUND = 10 ** 15


@bp.post("/donations/<public_id>/refund")
@admin_required
def refund(public_id: str):
    """Ask the provider for a refund; the ledger moves only when the provider's event comes."""
    donation = donation_or_404(public_id)
    form = RefundForm()
    amount = None
    if form.validate_on_submit() and form.amount.data:
        try:
            amount = parse_amount(form.amount.data, donation.currency,
                                  Money(0, donation.currency),
                                  Money(NO_UPPER_BOUND, donation.currency))
        except AmountError as bad:
            flash(f"Nothing was refunded: {bad}.", "error")
            return redirect(url_for("staff.donation", public_id=public_id), 303)
    result = request_refund(donation, amount)
    audit("refund_requested" if result.ok else "refund_refused", f"donation:{public_id}",
          amount_minor=amount.minor if amount else None, currency=donation.currency,
          message=result.message)
    db.session.commit()
    if result.ok:
        flash(f"Refund of {(amount or left_to_refund(donation)).format()} requested from "
              f"{donation.provider}. The donation and the reports change when {donation.provider} "
              "confirms the refund, usually within a minute.", "success")
    else:
        flash(f"Nothing was refunded: {result.message}", "error")
    return redirect(url_for("staff.donation", public_id=public_id), 303)


def undelivered():
    """Dead messages, and ones still retrying after a failure."""
    return or_(OutboxMessage.status == OutboxStatus.DEAD,
               (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.attempts > 0))


@bp.get("/outbox")
def outbox():
    """Emails that failed: dead ones wait for an admin's retry, others retry by themselves."""
    messages = db.session.scalars(select(OutboxMessage).where(undelivered())
                                  .order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("staff/outbox.html", messages=messages,
                           max_attempts=worker.MAX_ATTEMPTS)


@bp.post("/outbox/<int:message_id>/retry")
@admin_required
def retry_message(message_id: int):
    """Give a failed email a fresh set of attempts, now."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if message.status not in (OutboxStatus.DEAD, OutboxStatus.PENDING):
        flash(f"Message {message.id} is {message.status}; there is nothing to retry.", "error")
        return redirect(url_for("staff.outbox"), 303)
    audit("outbox_retry", f"outbox_message:{message.id}", kind=message.kind,
          attempts=message.attempts, last_error=message.last_error)
    worker.retry(message)  # commits, the audit entry with it
    flash(f"Message {message.id} to {message.to_address} will be sent again shortly.", "success")
    return redirect(url_for("staff.outbox"), 303)
