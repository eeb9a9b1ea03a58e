"""Absolute links to our pages from anywhere (emails are rendered outside requests too)."""

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The page's address under PUBLIC_URL, the address readers can reach."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/",
                                       url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)
