"""Which Python settle runs on (SPEC §13): 64-bit CPython 3.11 or newer.

pandas, pyarrow and fastexcel publish no 32-bit wheels, and pandas 3 needs Python 3.11; an
install on another Python is refused by pip (requires-python) or by the build backend
(tools/backend/settle_build.py, with the same sentence). This check repeats it when settle
starts, before anything heavy is imported, so a copied or odd install ends in that sentence
too (exit 2), not in an ImportError.
"""

from __future__ import annotations

import struct
import sys

OLDEST = (3, 11)


def unsupported(version=None, pointer_size: int | None = None) -> dict | None:
    """The message parameters when this Python will not do, else None."""
    version = tuple(version or sys.version_info[:3])
    bits = 8 * (pointer_size or struct.calcsize("P"))
    if bits == 64 and version[:2] >= OLDEST:
        return None
    return {"oldest": ".".join(map(str, OLDEST)), "version": ".".join(map(str, version)), "bits": bits}


def refuse_unsupported_python() -> None:
    """On an unsupported Python: the sentence in both languages on stderr, exit 2."""
    params = unsupported()
    if params is None:
        return
    from settle.problems import say
    sys.stderr.write(say("python_unsupported", "zh", **params) + "\n" + say("python_unsupported", "en", **params)
                     + "\n")
    raise SystemExit(2)
