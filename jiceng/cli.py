"""The `jiceng` console command: the project's management commands under one name.

    jiceng up                  migrate, build the demo district if the database is empty, serve
    jiceng serve               serve at http://127.0.0.1:8000 (waitress)
    jiceng demo [--full]       build 福州市鼓楼区 at real scale
    jiceng migrate             apply database migrations
    jiceng createadmin NAME    create a system administrator
    jiceng token create NAME   print a new API token for a user
    jiceng import KIND FILE    import areas, party organizations or units from Excel
    jiceng export KIND FILE    export them to Excel
    jiceng metrics-rollup --stale   rebuild the settled months of the metrics rollup (run nightly)

`manage.py` keeps working and knows the same commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["jiceng", *(args or ["help"])])


if __name__ == "__main__":
    main()
