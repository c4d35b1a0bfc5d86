"""A last line of defence: personal numbers never reach a log line.

The code never logs phone or ID numbers on purpose; this filter masks any that slip through
(in a message, in its arguments, or in an exception text).
"""

from __future__ import annotations

import logging
import re

_PERSONAL = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|[1-9][0-9]{16}[0-9Xx])(?![0-9])")


def mask_text(text: str) -> str:
    return _PERSONAL.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 3), text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        masked = mask_text(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_text(exc_text)
        record.msg, record.args = masked, ()
        return True
