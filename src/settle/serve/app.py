"""The page's web application (Flask): one page, four small endpoints, and the checks that keep
it the clerk's alone (SPEC §13).

Every request must carry the server's random token (`?token=…`, or the form field `token`),
name this server as its Host (127.0.0.1:PORT or localhost:PORT — no DNS rebinding), and a POST
must not come from another site (Origin, else Referer, else Sec-Fetch-Site). Anything else is
refused with 403.

    GET  /        the page: workspace, month, actions, the last action's report, the outputs
    POST /action  start an action of a month in the background (409 while one runs)
    GET  /status  the running action's steps, as JSON (the page polls it)
    GET  /file    one file of the workspace's output folder, as a download
    POST /open    open a file or folder of the output folder with the computer's own program
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request, send_file, url_for

from settle import __version__
from settle.problems import say as catalogue_say
from settle.serve import view
from settle.serve.actions import ACTIONS, Work
from settle.serve.jobs import Jobs
from settle.serve.texts import PAGE, page_text


def open_with_os(path: Path) -> None:
    """Open `path` with the program the computer opens it with (Excel, WPS, Explorer, Finder)."""
    import os
    import subprocess
    import sys
    if sys.platform == "win32":
        os.startfile(str(path))  # noqa: S606 - the clerk's own file, in the workspace's output folder
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    subprocess.Popen([opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


@dataclass
class Settings:
    workspace: Path
    lang: str = "zh"
    rules: Path | None = None
    out: Path | None = None
    port: int = 0                         # set once the server is bound
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    debug: bool = False
    opener: Callable[[Path], None] = open_with_os

    @property
    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def origins(self) -> set[str]:
        return {f"http://{h}" for h in self.hosts}


def create_app(settings: Settings) -> Flask:
    app = Flask("settle.serve")
    app.config["SETTINGS"] = settings
    jobs = app.config["JOBS"] = Jobs(settings.debug)
    lang = settings.lang
    say = lambda code, **params: page_text(code, lang, **params)  # noqa: E731

    def refuse(why: str, status: int = 403):
        return app.response_class(say("forbidden", why=why) if status == 403 else why, status,
                                  mimetype="text/plain")

    @app.before_request
    def guard():
        if request.host not in settings.hosts:
            return refuse(say("why_host", host=request.host))
        token = request.values.get("token", "")
        if not hmac.compare_digest(token.encode(), settings.token.encode()):
            return refuse(say("why_token"))
        if request.method == "POST":
            origin = request.headers.get("Origin")
            referer = request.headers.get("Referer")
            if origin is None and referer:
                parts = urlsplit(referer)
                origin = f"{parts.scheme}://{parts.netloc}"
            if origin is not None and origin not in settings.origins:
                return refuse(say("why_origin", origin=origin))
            if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
                return refuse(say("why_origin", origin=request.headers.get("Sec-Fetch-Site")))
        return None

    @app.after_request
    def headers(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                                       "frame-ancestors 'none'; form-action 'self'")
        return response

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(_exc):
        return refuse(say("not_found"), 404)

    @app.errorhandler(Exception)
    def internal(exc):
        if settings.debug:
            app.logger.exception("settle serve")
        return refuse(say("internal", kind=type(exc).__name__), getattr(exc, "code", None) or 500)

    def chosen() -> tuple[Path, str]:
        root = Path(request.values.get("workspace") or settings.workspace)
        return root, (request.values.get("other") or request.values.get("month") or "").strip()

    @app.get("/")
    def page():
        root, month = chosen()
        v = dict(workspace=str(root), month=month, problem=view.not_a_workspace(root, lang), months=[],
                 token=settings.token, t=PAGE[lang], say=say, lang=lang, version=__version__)
        if v["problem"] is None and month:
            v["problem"] = view.not_a_month(month, lang)
        if v["problem"] is None:
            ws = view.open_workspace(root, settings.out)
            v["months"] = view.month_names(ws)
            month = v["month"] = month or (v["months"][0] if v["months"] else "")
            if month:
                job = jobs.get(root, month)
                v["state"], v["closed"] = view.month_state(ws, month, lang)
                v.update(people=view.roster(ws, lang),
                         rules=view.rules_choices(root, lang), outputs=view.outputs(ws, month), job=job,
                         actions=[a for a in ACTIONS.values() if a.when in ("", "closed" if v["closed"] else "open")],
                         done=_done_text(job, say))
        return render_template("page.html", **v)

    @app.post("/action")
    def action():
        root, month = chosen()
        act = ACTIONS.get(request.form.get("action", ""))
        if act is None:
            return jsonify(message=say("unknown_action", action=request.form.get("action", ""))), 400
        problem = view.not_a_workspace(root, lang)
        if problem:
            return jsonify(message=problem), 400
        form, missing = _fields(act, request.form, root, lang)
        if not month:
            missing = say("missing_field", field=say("month"))
        if missing:
            return jsonify(message=missing), 400
        job, started = jobs.start(act, Work(root, month, lang, settings.rules, settings.out, form))
        if not started:
            since = dt.datetime.fromtimestamp(job.started).strftime("%H:%M:%S")
            return jsonify(message=say("busy", month=month, action=say(f"action.{job.action.name}"), since=since),
                           running=True), 409
        return jsonify(started=True), 202

    @app.get("/status")
    def status():
        root, month = chosen()
        job = jobs.get(root, month)
        if job is None or not job.running:
            return jsonify(running=False)
        seconds = f"{time.time() - job.started:.0f}"
        return jsonify(running=True, text=say("running", action=say(f"action.{job.action.name}")),
                       elapsed=say("elapsed", seconds=seconds), steps=job.steps, expected=job.action.steps)

    def output_file(rel: str) -> Path | None:
        root, _ = chosen()
        if view.not_a_workspace(root, lang):
            return None
        return view.in_output(view.open_workspace(root, settings.out), rel)

    @app.get("/file")
    def download():
        path = output_file(request.args.get("path", ""))
        if path is None or not path.is_file():
            return refuse(say("not_output"), 404)
        return send_file(path, as_attachment=True, download_name=path.name)

    @app.post("/open")
    def open_output():
        rel = request.form.get("path", "")
        path = output_file(rel)
        if path is None:
            return jsonify(message=say("not_output")), 404
        try:
            settings.opener(path)
        except OSError as exc:
            return jsonify(message=say("open_failed", path=rel, detail=exc.strerror or exc)), 500
        return jsonify(message=say("opened", path=rel))

    app.jinja_env.globals["link"] = lambda endpoint, **kw: url_for(endpoint, token=settings.token, **kw)
    app.jinja_env.globals["say_catalogue"] = lambda code, **params: catalogue_say(code, lang, **params)
    return app


def _done_text(job, say) -> str:
    if job is None or job.running:
        return ""
    when = dt.datetime.fromtimestamp(job.finished).strftime("%H:%M:%S")
    return say("done", action=say(f"action.{job.action.name}"), when=when,
               seconds=f"{job.finished - job.started:.1f}")


def _fields(act, form, root: Path, lang: str) -> tuple[dict, str]:
    """The action's form fields, checked: (fields, "") or ({}, what is missing or wrong)."""
    out = {}
    for name in act.fields:
        value = (form.get(name) or "").strip()
        if name == "rules" and value:
            paths = {rid: p for rid, _, p in view.rules_choices(root, lang)}
            if value not in paths:
                return {}, page_text("unknown_choice", lang, field=page_text("field.rules", lang))
            value = paths[value]
        out[name] = value
    for name in act.required:
        if not out.get(name):
            return {}, page_text("missing_field", lang, field=page_text(f"field.{name}", lang))
    return out, ""
