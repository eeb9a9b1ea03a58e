"""gunicorn's settings: `gunicorn -c gunicorn.conf.py wsgi:app`. Each can be set from the
environment; the defaults suit one host of a small newsroom's site.

The app itself logs one JSON line per request to stderr (donate/logs.py), so gunicorn's access
log is off; its error log (worker starts, timeouts, crashes) goes to stderr as well.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Processes: 2 x cores + 1 by default, gunicorn's rule of thumb for request/response work.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
#: Threads per process: a reader waits on Stripe or PayPal at checkout (up to
#: PROVIDER_TIMEOUT_SECONDS), so a few threads keep a process answering meanwhile. Keep
#: workers x threads x instances within what PostgreSQL accepts (see README).
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
#: A request may take a provider call (10 s by default) plus the database; a worker silent
#: for longer than this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: Seconds an idle keep-alive connection from the load balancer is held open.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
#: Replace each process after this many requests (bounds any slow leak); 0 turns it off. A
#: new process starts cold (imports, first renders), so not too often: a widget request costs
#: a fraction of a millisecond, and 5,000 of them came round every few seconds under load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
statsd_host = None
#: Headers from the proxy are read by the app (PROXY_FIX_HOPS), not by gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
