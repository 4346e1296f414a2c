"""Every message prints on any console or pipe encoding (SPEC §13, issue 28.5 a).

A Chinese Windows console, a `.bat` writing `> 结果.txt`, a PowerShell pipe or a scheduled task
gives settle a GBK/cp936 (or even ASCII) stdout. Characters that encoding lacks — the › of a
problem's place, ✓ ✗ … ¥, rich's box lines, a rare CJK character in a name — are written as the
nearest thing it has (› → >, ✓ → √ or OK, ✗ → × or x), never a UnicodeEncodeError. A stream
that fails while writing (a closed pipe, a console gone away) is silenced instead: what settle
already did — a month published — keeps its exit code. `guard_streams()` is called once when the
command line starts (settle.cli.main); the library itself never touches sys.stdout.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata

ERRORS = "settle-nearest"
# a character → what to print instead, the first one the stream's encoding can hold
NEAREST = {
    "›": (">",), "‹": ("<",), "✓": ("√", "OK"), "✔": ("√", "OK"), "✗": ("×", "x"), "✘": ("×", "x"),
    "…": ("...",), "→": ("->",), "←": ("<-",), "—": ("-",), "–": ("-",), "−": ("-",), "×": ("x",),
    "÷": ("/",), "≤": ("<=",), "≥": (">=",), "≠": ("!=",), "¥": ("￥", "RMB "), "·": (".",), "•": ("*",),
    "“": ('"',), "”": ('"',), "‘": ("'",), "’": ("'",), "√": ("OK",), "\u00a0": (" ",), "\u3000": ("  ",),
}


def nearest(char: str, encoding: str) -> str:
    """What to print for `char` in `encoding`: its listed substitutes, its compatibility form
    (full-width Ａ → A), a box-drawing line as - | +, else ? (?? for a wide character, so that
    tables stay aligned)."""
    candidates = list(NEAREST.get(char, ()))
    candidates.append(unicodedata.normalize("NFKC", char))
    name = unicodedata.name(char, "")
    if name.startswith(("BOX DRAWINGS", "HEAVY ", "LIGHT ")):
        words = set(name.replace(" AND ", " ").split())
        up_down, left_right = bool(words & {"VERTICAL", "UP", "DOWN"}), bool(words & {"HORIZONTAL", "LEFT", "RIGHT"})
        candidates.append("+" if up_down and left_right else "|" if up_down else "-")
    elif name.startswith(("BLACK", "WHITE")) and ("SQUARE" in name or "CIRCLE" in name):
        candidates.append("#" if name.startswith("BLACK") else "o")
    for candidate in candidates:
        if candidate == char:
            continue
        try:
            candidate.encode(encoding)
            return candidate
        except (UnicodeError, LookupError):
            continue
    return "??" if unicodedata.east_asian_width(char) in "WF" else "?"   # a wide character keeps its two columns


def _nearest_handler(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(nearest(c, exc.encoding) for c in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(ERRORS, _nearest_handler)


class GuardedStream:
    """A text stream whose writes never raise: an encoding's missing characters are replaced
    (ERRORS), and once the stream itself fails (EPIPE, EINVAL on a closed Windows console, a
    closed file) the rest of the output is dropped — the exit code stays the command's."""

    def __init__(self, stream):
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # UnicodeEncodeError is a ValueError
                self._break()
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._break()

    def _break(self) -> None:
        """From now on write nowhere; point the descriptor at the null device so that Python's
        own flush at exit finds nothing to fail on (it would print and exit 120)."""
        self.broken = True
        try:
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name):  # encoding, isatty, fileno, buffer … as the real stream has them
        return getattr(self._stream, name)


def guard_streams() -> None:
    """Replace sys.stdout and sys.stderr by guarded ones (once): any encoding, no write error."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, GuardedStream):
            continue
        encoding = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
        if not encoding.startswith("utf") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors=ERRORS)
            except (OSError, ValueError, TypeError):
                pass
        setattr(sys, name, GuardedStream(stream))
