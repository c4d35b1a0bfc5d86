"""`jiceng notify-due`: send the near-due and overdue case notices and the meeting reminders not sent yet.

Run it from cron or a systemd timer (every 15 minutes is plenty). It only notifies; nothing the pages
show depends on it having run. Each reminder goes out once, however often it runs.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jiceng.notify.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Send near-due and overdue case notices and meeting reminders (each once)."

    def handle(self, *args, **options) -> None:
        report = send_due_reminders()
        self.stdout.write(f"near due {report.cases_near_due}, overdue {report.cases_overdue}, "
                          f"meetings due {report.meetings}, planned meetings {report.planned}, "
                          f"already sent {report.skipped}")
