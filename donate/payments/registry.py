"""Which providers this deployment offers: the ones whose settings are present."""

from flask import Flask, current_app

from donate.payments import models  # noqa: F401  (the tables providers remember objects in)
from donate.payments.base import Provider
from donate.payments.providers.paypal import PayPalProvider
from donate.payments.providers.sandbox import SandboxProvider
from donate.payments.providers.stripe import StripeProvider


def build_providers(config: dict) -> dict[str, Provider]:
    """Providers in the order the widget offers them; one without its keys is not offered."""
    providers: dict[str, Provider] = {}
    if config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"]:
        providers["stripe"] = StripeProvider(
            config["STRIPE_SECRET_KEY"], config["STRIPE_WEBHOOK_SECRET"],
            config["STRIPE_API_BASE"], config["ORG_NAME"], config["PROVIDER_TIMEOUT_SECONDS"])
    if config["PAYPAL_CLIENT_ID"] and config["PAYPAL_CLIENT_SECRET"] and config[
            "PAYPAL_WEBHOOK_ID"]:
        providers["paypal"] = PayPalProvider(
            config["PAYPAL_API_BASE"], config["PAYPAL_CLIENT_ID"], config["PAYPAL_CLIENT_SECRET"],
            config["PAYPAL_WEBHOOK_ID"], config["ORG_NAME"], config["PROVIDER_TIMEOUT_SECONDS"])
    if config["DONATE_SANDBOX"]:
        providers["sandbox"] = SandboxProvider(config["SECRET_KEY"])
    return providers


def init_app(app: Flask) -> None:
    app.extensions["donate.providers"] = build_providers(app.config)


def enabled_providers() -> dict[str, Provider]:
    return current_app.extensions["donate.providers"]


def provider_named(name: str) -> Provider | None:
    return enabled_providers().get(name)
