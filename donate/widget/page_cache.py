"""The widget page, rendered once per variant, currency and language, then filled in per request.

Every article view frames the widget, so GET /widget is the hottest page we serve; rendering it
through Jinja (and Babel) costs about ten times what the rest of the request does. Everything
on the page is fixed for the app's lifetime (settings, providers, translations) except three
values that are per request: the CSP nonce, the signed form token and the article's address.
Those are rendered as marks and replaced, escaped like Jinja would, when a request takes a copy.
Pages that show a reader's values or errors are never cached.
"""

from collections.abc import Callable

from flask import current_app, g, request
from markupsafe import escape

from donate.abuse.form_token import issue_form_token
from donate.security import csp_nonce

NONCE = "\x1enonce\x1e"
TOKEN = "\x1etoken\x1e"
SOURCE = "\x1esource\x1e"
#: Set in the WSGI environ by the fast lane (fast_lane.py) when it records an answer.
RECORDING = "donate.fast_lane.recording"
#: Set by cached_page() in a recorded request: the answer is the cached page, keep it.
RECORDABLE = "donate.fast_lane.recordable"


def cached_page(key: tuple, render: Callable[..., str], source: str) -> str:
    """The page for `key`, rendering it with `render(**marks)` the first time."""
    pages: dict[tuple, str] = current_app.extensions.setdefault("donate.widget_pages", {})
    page = pages.get(key)
    if page is None:
        page = render(csp_nonce=lambda: NONCE, form_token=lambda: TOKEN, source=SOURCE)
        if not current_app.debug:  # while developing, an edited template shows at once
            pages[key] = page  # bounded: the key's parts are checked against the settings
    if request.environ.get(RECORDING):
        request.environ[RECORDABLE] = True
        g.csp_nonce = NONCE  # the policy header's nonce is a hole too
        return page  # the lane fills the holes, for this request and the later ones
    return (page.replace(NONCE, csp_nonce()).replace(TOKEN, issue_form_token())
            .replace(SOURCE, str(escape(source))))
