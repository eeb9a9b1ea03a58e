"""What we remember about a provider's own objects (e.g. PayPal's product and plans)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import utcnow


class ProviderObject(db.Model):
    """One object we created at a provider once and reuse, e.g. ("paypal", "plan:EUR")."""

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: what it is for us, e.g. "product" or "plan:EUR"
    purpose: Mapped[str] = mapped_column(String(50), primary_key=True)
    #: the provider's id for it
    provider_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
