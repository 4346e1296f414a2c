"""Third-party readers stay quiet (SPEC §8.1): fastexcel's dtype notes and calamine's own
messages arrive through Python logging (pyo3-log) and warnings; openpyxl and xlrd use warnings.
None of it reaches the clerk's terminal; every failure becomes a catalogue problem instead.
The original text goes to the `settle.debug` logger, which only `--debug` shows."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
from contextlib import contextmanager

DEBUG_LOG = logging.getLogger("settle.debug")

for _name in ("fastexcel", "calamine", "openpyxl", "xlrd"):
    # configured once at import (a constant, never changed at run time): the records are kept
    # from the root logger's last-resort stderr handler
    _log = logging.getLogger(_name)
    _log.addHandler(logging.NullHandler())
    _log.propagate = False


@contextmanager
def quiet():
    """For the duration of one reader call: Python warnings are ignored, and file descriptor 2
    goes to a temporary file, because a Rust panic prints its message (and, with
    RUST_BACKTRACE, a backtrace) straight to fd 2 before pyo3 turns it into an exception. What
    was written there is passed to the `settle.debug` logger. The progress bar writes to stdout."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no fd 2 (a service, a notebook): nothing to protect
            yield
            return
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                said = sink.read(65536)
                if said:
                    DEBUG_LOG.debug("reader said: %s", said.decode("utf-8", "replace"))


def is_panic(exc: BaseException) -> bool:
    """pyo3's PanicException (a Rust panic inside fastexcel/calamine) derives from BaseException."""
    return type(exc).__name__ == "PanicException"


def describe(exc: BaseException) -> str:
    """The reader's own words, for --debug."""
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


def show_debug() -> None:
    """--debug: the readers' original messages go to stderr (idempotent)."""
    if not any(getattr(h, "_settle", False) for h in DEBUG_LOG.handlers):
        h = logging.StreamHandler(sys.stderr)
        h._settle = True
        h.setFormatter(logging.Formatter("[debug] %(message)s"))
        DEBUG_LOG.addHandler(h)
    DEBUG_LOG.setLevel(logging.DEBUG)
