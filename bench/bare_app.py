"""The framework's ceiling: one Flask route answering "ok", served like the real app.

    gunicorn -c gunicorn.conf.py bench.bare_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
