"""What the widget says from its script, in the reader's language.

widget.js never holds a sentence of its own: the page hands it these, translated, as JSON.
A "{amount}" mark is filled in by the script, with the amount it formats for the reader.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext

#: A donation's status as a reader reads it ("This donation is partially refunded.").
STATUS_WORDS = {
    "pending": lazy_gettext("pending"),
    "completed": lazy_gettext("completed"),
    "failed": lazy_gettext("failed"),
    "cancelled": lazy_gettext("cancelled"),
    "refunded": lazy_gettext("refunded"),
    "partially_refunded": lazy_gettext("partially refunded"),
    "disputed": lazy_gettext("disputed"),
}


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status.replace("_", " ")))


def script_messages() -> dict[str, str]:
    amount = "{amount}"
    return {
        "offline": _("We could not reach the server. Please try again."),
        "generic": _("Something went wrong on our side. Nothing was charged; please try again."),
        "retry": _("Something went wrong on our side. Please try again."),
        "slow": _("We have not heard back from the payment provider yet. If you completed the "
                  "payment, it will still be counted and nothing more is needed."),
        "failed": _("The payment did not go through. Nothing was charged."),
        "cancelled": _("You cancelled the payment. Nothing was charged."),
        "opening": _("Opening the checkout..."),
        "waiting": _("Waiting for payment..."),
        "waiting_paypal": _("Waiting for PayPal..."),
        "open_page": _("Open the payment page"),
        "tab_closed": _("If you closed the payment tab without paying, nothing was charged."),
        "validating": _("Validating payment information..."),
        "thanks_once": _("Thank you! Your donation of %(amount)s was received.", amount=amount),
        "thanks_monthly": _("Thank you! Your donation of %(amount)s per month was received.",
                            amount=amount),
        "smallest": _("The smallest donation is %(amount)s.", amount=amount),
        "largest": _("The largest donation online is %(amount)s.", amount=amount),
        "total_once": _("Total: %(amount)s", amount=amount),
        "total_monthly": _("Total: %(amount)s per month", amount=amount),
        **{f"status_{status}": _("This donation is %(status)s.", status=status_words(status))
           for status in STATUS_WORDS},
    }
