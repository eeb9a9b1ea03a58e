"""Staff pages: sign-in, dashboard, donors, donations, exports, admin actions, embed snippets."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The route modules attach their views to bp when imported.
from donate.staff import (  # noqa: E402, F401
    access,
    admin,
    auth,
    dashboard,
    donations,
    donors,
    embed,
    erasure,
    exports,
    staff_accounts,
)
