"""A WSGI app served on 127.0.0.1:<free port> from a daemon thread, for the fake providers."""

from __future__ import annotations

import threading
import time
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


def never_block_in_accept(server) -> None:
    """With a timeout the listening socket is non-blocking underneath, so serve_forever's
    accept() can only wait so long before the loop looks at shutdown() again. Without it, a
    fake's thread was once found stuck in accept() after poll() had said a connection was
    waiting, and the test run's teardown waited in shutdown() for good."""
    server.socket.settimeout(1)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log in test output
        pass


class LocalServer:
    """Subclasses provide `_wsgi(environ, start_response)`; `.url` is set once started."""

    url = ""
    _server: Any = None
    _thread: threading.Thread | None = None

    def start(self):
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=QuietHandler)
        never_block_in_accept(self._server)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _take_failure(self, method: str, path: str):
        """The next failure injected for this request (its delay already slept), or None.

        Subclasses keep `self.lock` and `self._failures` (objects with path_prefix, method,
        times, delay and status) and turn the failure into their provider's error.
        """
        with self.lock:
            failure = next((f for f in self._failures if path.startswith(f.path_prefix)
                            and f.method in (None, method)), None)
            if failure is None:
                return None
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
        if failure.delay:
            time.sleep(failure.delay)
        return failure

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
