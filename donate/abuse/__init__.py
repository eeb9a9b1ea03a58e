"""Defences against card testing and other abuse that cost honest readers nothing.

One module per idea: `networks` (which network a request comes from), `limits` (rate limits
per address, network and email), `honeypot` (a field only bots fill), `form_token` (a signed
time stamp: nobody fills the form in under MIN_FORM_SECONDS), `velocity` (failed payments
per network and overall; a stricter form and an alert to staff above a threshold),
`blocklist` (networks and addresses staff have blocked) and `guard`, which the checkout view
asks about each request.
"""

from flask import Flask

from donate.abuse import models  # noqa: F401  (the tables, for migrations and the CLI)


def init_app(app: Flask) -> None:
    from donate.abuse.cli import abuse_cli
    from donate.abuse.form_token import issue_form_token

    app.jinja_env.globals["form_token"] = issue_form_token
    app.cli.add_command(abuse_cli)
