"""The reader's side: the widget, its embed script, POST /donations and the waiting pages."""

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import select

from donate.abuse import guard
from donate.abuse.limits import limit_checkout
from donate.abuse.networks import client_network
from donate.extensions import csrf, db, limiter
from donate.i18n import current_locale, speaking
from donate.ledger import service as ledger
from donate.ledger.models import Donation, new_public_id
from donate.payments.checkout import open_checkout
from donate.payments.registry import enabled_providers
from donate.security import embeddable
from donate.widget.intake import read_donation
from donate.widget.messages import script_messages, status_words
from donate.widget.page_cache import cached_page
from donate.widget.settings import widget_settings

bp = Blueprint("widget", __name__)
bp.add_app_template_global(script_messages)
bp.add_app_template_global(status_words)
VARIANTS = ("slider", "quick", "newsletter")


@bp.before_request
def limit_body_size() -> None:
    """Reader-facing forms are tiny; refuse big bodies before reading them (413)."""
    request.max_content_length = current_app.config["FORM_MAX_BYTES"]


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def render_widget(variant: str, status: int = 200, errors: dict | None = None,
                  values: dict | None = None, problem: str | None = None):
    """The widget page, with the reader's values and errors when a post came back."""
    settings = widget_settings()
    values = values or {}
    codes = settings.currency_codes
    currency = str(values.get("currency") or request.args.get("currency", "")).upper()
    if variant == "quick":
        currency = settings.quick_amount.currency
    elif currency not in codes:
        currency = codes[0]
    providers = enabled_providers()
    source = values.get("source") or request.args.get("source", "")

    def render(source: str = source, **per_request) -> str:
        return render_template(
            f"widget/{variant}.html", variant=variant, settings=settings, currency=currency,
            providers=providers, fee_table=settings.fee_table_for_script(list(providers)),
            source=source, values=values, errors=errors or {}, problem=problem, **per_request)

    if values or errors or problem:
        return render(), status
    page = cached_page((variant, currency, current_locale()), render, source)
    return page, status, {"Vary": "Accept-Language"}


@bp.get("/widget")
@limiter.exempt  # read only and the hottest page; skips the limiter's per-request work
@embeddable
def widget():
    """The widget page the embed script frames."""
    variant = request.args.get("variant", "slider")
    if variant not in VARIANTS:
        abort(400, description=f"variant must be one of {', '.join(VARIANTS)}")
    return render_widget(variant)


@bp.get("/embed.js")
def embed_script():
    """The publisher's one script: it frames the widget next to itself."""
    response = send_from_directory(current_app.static_folder, "embed.js", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/demo")
def demo():
    """A stand-in news article that embeds the widget as a publisher would."""
    return render_template("widget/demo.html")


@bp.post("/donations")
@csrf.exempt  # runs in a cross-site iframe where no cookie is sent; rate limits guard it
@limit_checkout
@embeddable
def create_donation():
    """Take a donation request and send the reader to the provider's checkout."""
    fields = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(fields, dict) and request.is_json:
        return jsonify(errors={"body": "Send a JSON object with the donation's fields"}), 422
    screening = guard.screen(fields, form_post=not wants_json())
    if screening.decoy:
        return _decoy(fields)
    if screening.refusal:
        return _refuse_all(screening.refusal, screening.status, fields)
    intake = read_donation(fields, widget_settings(), list(enabled_providers()),
                           request.headers.get("Idempotency-Key"))
    errors = intake.errors or guard.strict_errors(intake.request, screening)
    if errors:
        return _refuse(errors, fields)
    try:
        donation, _ = ledger.create_donation(
            replace(intake.request, client_network=client_network(), locale=current_locale()))
    except ledger.IdempotencyConflict as conflict:
        return _refuse({"Idempotency-Key": str(conflict)}, fields)
    checkout = open_checkout(donation)
    if checkout.error:
        if wants_json():
            return jsonify(id=donation.public_id, status=donation.status,
                           error=checkout.error), 502
        return render_widget(_variant_of(fields), 502, values=fields, problem=checkout.error)
    if wants_json():
        return jsonify(id=donation.public_id, status=donation.status,
                       redirect_url=checkout.redirect_url), 201
    return redirect(checkout.redirect_url, 303)


def _refuse(errors: dict, fields):
    if wants_json():
        return jsonify(errors=errors), 422
    values = fields if isinstance(fields, dict) else fields.to_dict()
    return render_widget(_variant_of(values), 400, errors=errors, values=values)


def _refuse_all(message: str, status: int, fields):
    """Refuse the request as a whole (not a field): blocked, or the form's token."""
    if wants_json():
        return jsonify(error=message), status
    values = fields if isinstance(fields, dict) else fields.to_dict()
    return render_widget(_variant_of(values), status, values=values, problem=message)


def _decoy(fields):
    """What a bot that filled the honeypot gets: a success that leads nowhere."""
    landing = url_for("widget.widget", variant=_variant_of(fields), _external=True)
    if wants_json():
        return jsonify(id=new_public_id(), status="pending", redirect_url=landing), 201
    return redirect(landing, 303)


def _variant_of(fields) -> str:
    variant = fields.get("variant") if hasattr(fields, "get") else None
    return variant if variant in VARIANTS else "slider"


def _donation(donation_id: str) -> Donation:
    donation = db.session.scalar(select(Donation).where(Donation.public_id == donation_id))
    if donation is None:
        abort(404)
    return donation


@bp.get("/donations/<donation_id>/status")
def status(donation_id: str):
    """The donation's state, polled by the waiting widget and thank-you page."""
    donation = _donation(donation_id)
    response = jsonify(id=donation.public_id, status=donation.status,
                       amount=donation.amount_minor, fee=donation.fee_minor,
                       charged=donation.charged_minor, currency=donation.currency,
                       frequency=donation.frequency,
                       charged_display=donation.charged.format(donation.locale))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/donations/<donation_id>/thanks")
@embeddable
def thanks(donation_id: str):
    """Where checkout returns: waits for the ledger's word, then thanks (or explains)."""
    donation = _donation(donation_id)
    with speaking(donation.locale):  # checkout sends the reader back without a `lang`
        return render_template("widget/thanks.html", donation=donation,
                               cancelled=request.args.get("cancelled") == "1",
                               try_again=donation.source or url_for(
                                   "widget.widget", currency=donation.currency,
                                   lang=donation.locale))
