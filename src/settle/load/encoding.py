"""The text of settle.yaml and the rules files, whatever Notepad saved them as (issue 28.5 b).

UTF-8 with or without BOM is the norm; Notepad's "ANSI" on a Chinese PC is GBK, read here as
GB18030 (its superset, the national standard), and its "Unicode" is UTF-16 with a BOM. Which one
was used is said (an info problem naming the file) when it is not UTF-8; bytes none of them
decodes are an error naming the file.
"""

from __future__ import annotations

import codecs

UTF8 = "UTF-8"


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a configuration file's bytes; UnicodeDecodeError when none fits."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError as first:
        try:
            return data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError:
            raise first from None


def read_config_text(data: bytes, file: str, problems) -> str | None:
    """The text, with the info problem when it was not UTF-8, or None after an error naming `file`."""
    from settle.problems import problem

    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        problems.add(problem("config_undecodable", file=file, detail=f"0x{data[exc.start]:02x} @ {exc.start}"))
        return None
    if encoding != UTF8:
        problems.add(problem("config_encoding", file=file, encoding=encoding))
    return text
