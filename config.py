"""Configuration, read from the environment (and `.env` when present).

Every setting has a safe local default so that `make run` works on a fresh clone: SQLite in
`instance/`, the sandbox provider, and the dev mailbox instead of SMTP. `ProductionConfig`
refuses to start when a secret is missing or the sandbox is on.
"""

import os

from dotenv import load_dotenv

load_dotenv()


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


class Config:
    DONATE_ENV = "development"

    #: None means "SQLite in the instance folder", resolved by create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: None means "generate a dev key into the instance folder", refused in production.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    ORG_NAME = os.environ.get("ORG_NAME", "The Daily Example")
    #: The languages readers can have the widget, pages and emails in; the first is the
    #: default. Staff pages are in English.
    LANGUAGES = ("en", "de")
    BABEL_DEFAULT_LOCALE = "en"

    # Donation amounts, all in major units as text (parsed with Decimal, never float).
    CURRENCIES = env_list("CURRENCIES", "USD,EUR")
    DONATION_MIN = os.environ.get("DONATION_MIN", "1.00")
    DONATION_MAX = os.environ.get("DONATION_MAX", "10000.00")
    SLIDER_MIN = os.environ.get("SLIDER_MIN", "5")
    SLIDER_MAX = os.environ.get("SLIDER_MAX", "100")
    DEFAULT_AMOUNT = os.environ.get("DEFAULT_AMOUNT", "25")
    PRESETS = env_list("PRESETS", "5,10,25,50,100")
    QUICK_AMOUNT = os.environ.get("QUICK_AMOUNT", "10")
    QUICK_CURRENCY = os.environ.get("QUICK_CURRENCY", "EUR")
    #: Fee formula per provider and currency, "provider:CUR=percent%+fixed" (fixed in major
    #: units), used for "cover the fees". Unlisted pairs cover nothing.
    DONATION_FEES = os.environ.get(
        "DONATION_FEES",
        "sandbox:USD=2.9%+0.30,sandbox:EUR=1.5%+0.25,"
        "stripe:USD=2.9%+0.30,stripe:EUR=1.5%+0.25,"
        "paypal:USD=3.49%+0.49,paypal:EUR=3.49%+0.35",
    )

    DONATE_SANDBOX = env_flag("DONATE_SANDBOX", True)
    #: Webhooks only verify and store events, and `flask events work` applies them in
    #: batches (for bursts of hundreds a second); off: each delivery is applied as it comes.
    APPLY_EVENTS_IN_WORKER = env_flag("APPLY_EVENTS_IN_WORKER", False)
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    #: How long a reader waits on a provider at checkout before we give up (seconds).
    PROVIDER_TIMEOUT_SECONDS = float(os.environ.get("PROVIDER_TIMEOUT_SECONDS", "10"))
    PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID")
    PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET")
    PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID")
    PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "https://api-m.sandbox.paypal.com")

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = env_flag("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "donations@localhost")
    #: Seconds before a silent SMTP server counts as down (Flask-Mail itself never times out).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "donate.localhost")
    #: Printed on every receipt.
    ORG_ADDRESS = os.environ.get("ORG_ADDRESS", "1 Example Street, 12345 Example City")
    #: The receipt's tax sentence. Unset, ours in the reader's language ("No goods or services
    #: were provided..."); set, this for all, or per language as TAX_DEDUCTIBLE_TEXT_DE. Have
    #: the wording checked for your country (a German Zuwendungsbestätigung has rules of its own).
    TAX_DEDUCTIBLE_TEXT = os.environ.get("TAX_DEDUCTIBLE_TEXT")
    TAX_DEDUCTIBLE_TEXT_DE = os.environ.get("TAX_DEDUCTIBLE_TEXT_DE")

    #: The words a reader agrees to when signing up; each subscriber keeps them as proof.
    #: Unset, readers see our own wording in their language; set, this text is shown to all,
    #: or per language with NEWSLETTER_CONSENT_TEXT_DE (and so on for each of LANGUAGES).
    NEWSLETTER_CONSENT_TEXT = os.environ.get("NEWSLETTER_CONSENT_TEXT")
    NEWSLETTER_CONSENT_TEXT_DE = os.environ.get("NEWSLETTER_CONSENT_TEXT_DE")
    #: Seconds a newsletter confirmation link works (a week).
    NEWSLETTER_CONFIRM_MAX_AGE = int(os.environ.get("NEWSLETTER_CONFIRM_MAX_AGE", "604800"))
    #: Sign-ups per client address; each one can send an email to someone.
    NEWSLETTER_RATE_LIMIT = os.environ.get("NEWSLETTER_RATE_LIMIT", "5/minute;30/hour")

    #: Origins allowed to frame the widget (CSP frame-ancestors); our own origin always is.
    ALLOWED_EMBED_ORIGINS = env_list("ALLOWED_EMBED_ORIGINS", "")

    RATELIMIT_ENABLED = env_flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    #: No X-RateLimit-* headers (they would tell a card tester how many tries are left);
    #: a 429 carries Retry-After (donate/errors.py).
    RATELIMIT_HEADERS_ENABLED = False
    #: If Redis goes away, limit per process rather than refuse donations.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1} \
        if RATELIMIT_STORAGE_URI.startswith(("redis", "rediss")) else {}
    #: Checkout creation per client address; card testers send hundreds a minute.
    DONATION_RATE_LIMIT = os.environ.get("DONATION_RATE_LIMIT", "10/minute;60/hour")
    #: ... per network (IPv4 /24, IPv6 /64): testers rotate addresses inside their block.
    DONATION_NETWORK_RATE_LIMIT = os.environ.get("DONATION_NETWORK_RATE_LIMIT",
                                                 "30/minute;200/hour")
    #: ... per email address given (requests without one are not counted here).
    DONATION_EMAIL_RATE_LIMIT = os.environ.get("DONATION_EMAIL_RATE_LIMIT", "5/minute;20/hour")
    #: A plain widget form post must come at least this many seconds after the form was
    #: rendered, and at most FORM_TOKEN_MAX_AGE seconds (donate/abuse/form_token.py).
    MIN_FORM_SECONDS = float(os.environ.get("MIN_FORM_SECONDS", "2"))
    FORM_TOKEN_MAX_AGE = int(os.environ.get("FORM_TOKEN_MAX_AGE", "43200"))
    #: Velocity alarm: this many failed payments within the window from one network (or
    #: overall) make checkout strict there and alert staff (donate/abuse/velocity.py).
    VELOCITY_WINDOW_MINUTES = int(os.environ.get("VELOCITY_WINDOW_MINUTES", "15"))
    VELOCITY_NETWORK_FAILURES = int(os.environ.get("VELOCITY_NETWORK_FAILURES", "5"))
    VELOCITY_GLOBAL_FAILURES = int(os.environ.get("VELOCITY_GLOBAL_FAILURES", "50"))
    #: In strict mode: checkouts per network, and the smallest amount (major units).
    STRICT_RATE_LIMIT = os.environ.get("STRICT_RATE_LIMIT", "3/minute;10/hour")
    STRICT_MIN_AMOUNT = os.environ.get("STRICT_MIN_AMOUNT", "5.00")
    #: Where abuse alerts are emailed (through the outbox); none: alerts are only logged.
    STAFF_ALERT_EMAIL = os.environ.get("STAFF_ALERT_EMAIL")
    #: Proxies in front of the app that set X-Forwarded-For/-Proto (a load balancer: 1).
    #: 0 trusts no such header, so that nobody can choose the address they are limited by.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    #: Donor self-service links by email: lifetime in seconds, and requests per address.
    MAGIC_LINK_MAX_AGE = int(os.environ.get("MAGIC_LINK_MAX_AGE", "3600"))
    MAGIC_LINK_RATE_LIMIT = os.environ.get("MAGIC_LINK_RATE_LIMIT", "5/minute;20/hour")

    #: Days an unpaid checkout is kept before `flask privacy purge` deletes it; no provider
    #: completes a checkout that old (Stripe's expire within a day).
    PENDING_GRACE_DAYS = int(os.environ.get("PENDING_GRACE_DAYS", "30"))
    #: Years financial records (and so the donor they belong to) are kept after the last gift.
    RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", "10"))

    #: Largest request body for anything but webhooks; provider events may be larger.
    FORM_MAX_BYTES = 16 * 1024
    MAX_CONTENT_LENGTH = 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)
    #: Flask-Login's "remember me" cookie, held to the same rules as the session cookie.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)

    #: Staff sign-in attempts per client address (all accounts together).
    STAFF_LOGIN_RATE_LIMIT = os.environ.get("STAFF_LOGIN_RATE_LIMIT", "10/minute;50/hour")
    #: Failed passwords in a row that lock a staff account, and for how long.
    STAFF_LOCKOUT_AFTER = int(os.environ.get("STAFF_LOCKOUT_AFTER", "5"))
    STAFF_LOCKOUT_MINUTES = int(os.environ.get("STAFF_LOCKOUT_MINUTES", "15"))
    #: A staff session ends after this many minutes without a request, and in any case this
    #: many hours after signing in (a laptop left open in a newsroom).
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
    STAFF_SESSION_HOURS = int(os.environ.get("STAFF_SESSION_HOURS", "12"))
    WTF_CSRF_SSL_STRICT = False
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    #: Settings that must come from the environment in production, by name.
    REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PUBLIC_URL")

    @classmethod
    def problems(cls, settings: dict) -> list[str]:
        """Reasons this configuration must not serve; empty outside production."""
        return []


class ProductionConfig(Config):
    DONATE_ENV = "production"
    DONATE_SANDBOX = env_flag("DONATE_SANDBOX", False)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def problems(cls, settings: dict) -> list[str]:
        problems = [
            f"{'DATABASE_URL' if name == 'SQLALCHEMY_DATABASE_URI' else name} must be set"
            for name in cls.REQUIRED_IN_PRODUCTION
            if not settings.get(name)
        ]
        if settings.get("DONATE_SANDBOX"):
            problems.append("DONATE_SANDBOX must be off: the sandbox takes no real money")
        return problems


class TestConfig(Config):
    DONATE_ENV = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    DONATE_SANDBOX = True
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    PAYPAL_CLIENT_ID = None
    MAIL_SERVER = None
    MAIL_SUPPRESS_SEND = False  # tests send to a real local SMTP server when they set one
    RATELIMIT_ENABLED = False
    #: Tests fill forms faster than people; the abuse tests set it back.
    MIN_FORM_SECONDS = 0
    ALLOWED_EMBED_ORIGINS: list[str] = []


def config_for_environment() -> type[Config]:
    return ProductionConfig if os.environ.get("DONATE_ENV") == "production" else Config
