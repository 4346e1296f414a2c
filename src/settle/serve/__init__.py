"""`settle serve`: the clerk's desk in a browser (SPEC §13) — a local page for the month's work,
served on 127.0.0.1 only, behind a random token, by werkzeug in the main thread; each action
runs settle.api in a background thread (settle.serve.jobs).

    from settle.serve.app import Settings, create_app
    settings = Settings(workspace)            # token, host and origin checks
    app = create_app(settings)                # Flask: tests drive it with app.test_client()

Importing this package loads no web stack: the desk prompt (settle.serve.desk) needs only the
texts. The launchers `settle init` writes are settle.output.launcher.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
import webbrowser
from pathlib import Path

from settle.serve.texts import page_text

__all__ = ["serve"]


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        """No request log: it would print every URL, the token included, into the clerk's window."""

        def log_request(self, code="-", size="-") -> None:
            return None

    return Quiet


def serve(workspace: Path, *, lang: str = "zh", rules=None, out=None, port: int | None = None,
          browser: bool = True, debug: bool = False, echo=print) -> int:
    """Serve the page until Ctrl-C; returns the exit code (0, or 2 when the port cannot be used)."""
    from werkzeug.serving import make_server

    from settle.serve.app import Settings, create_app
    settings = Settings(Path(workspace), lang, rules, out, debug=debug)
    app = create_app(settings)
    try:
        with contextlib.redirect_stderr(io.StringIO()):   # werkzeug's own English words on a taken port
            server = make_server("127.0.0.1", port or 0, app, threaded=True, request_handler=_quiet_handler())
    except (OSError, SystemExit):   # werkzeug exits when the port is taken
        echo(page_text("port_busy", lang, port=port or 0))
        return 2
    settings.port = server.socket.getsockname()[1]
    url = f"http://127.0.0.1:{settings.port}/?token={settings.token}"
    echo(page_text("started", lang, url=url))
    if browser:
        threading.Timer(0.3, webbrowser.open, [url]).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _finish(app.config["JOBS"], lang, echo)
    finally:
        server.server_close()
    echo(page_text("stopped", lang))
    return 0


def _finish(jobs, lang: str, echo) -> None:
    """Ctrl-C: let a running action end (a run publishes all or nothing), unless pressed again."""
    try:
        for job in jobs.running():
            echo(page_text("stopping", lang, action=page_text(f"action.{job.action.name}", lang)))
            while job.running:
                time.sleep(0.1)
    except KeyboardInterrupt:
        sys.stderr.flush()
