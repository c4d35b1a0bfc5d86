"""A last line of defence: personal numbers never reach a log line.

The code never logs phone or ID numbers on purpose; this filter masks any that slip through
(in a message, in its arguments, or in an exception text).
"""

from __future__ import annotations

import logging
import re

# A run of digits, possibly with spaces, dashes or a leading +, holding at least 11 digits: a mobile
# number as typed (+86 139 1234 5678) or an ID number (with its X).
_RUN = re.compile(r"\+?[0-9](?:[0-9 \-]*[0-9Xx])?")


def mask_numbers(text: str) -> str:
    """Mask every run shaped like a phone or ID number, keeping its first three characters."""

    def repl(match: re.Match) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) < 11:
            return run
        return run[:3] + re.sub(r"[0-9Xx]", "*", run[3:])

    return _RUN.sub(repl, text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        masked = mask_numbers(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_numbers(exc_text)
        record.msg, record.args = masked, ()
        return True
