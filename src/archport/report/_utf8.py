"""Report text that can always be written as UTF-8."""

from __future__ import annotations

import json
import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """`text` with every lone surrogate (how Python holds the undecodable bytes of a file name)
    replaced by U+FFFD, so that writing it as UTF-8 cannot fail."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return LONE_SURROGATE.sub("\ufffd", text)
    return text


def json_text(data: Any) -> str:
    """`data` as indented JSON text (non-ASCII kept as is) that can always be written as UTF-8:
    a lone surrogate (a file name that is not valid UTF-8) is written as a JSON `\\udcXX`
    escape, which reads back as the same name."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text
