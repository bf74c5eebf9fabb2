"""`manage.py send_outbox`: send the emails waiting in the outbox now."""

from django.core.management.base import BaseCommand, CommandError

from accounts import outbox


class Command(BaseCommand):
    help = (
        "Send the pending emails of the outbox now, one attempt each: after the mail server was "
        "down while Celery ran eagerly (no REDIS_URL), where no worker retries them. Exits with "
        "an error while some are still pending."
    )

    def handle(self, *args, **options):
        sent, pending = outbox.outbox_deliver_pending()
        self.stdout.write(f"{sent} email(s) sent.")
        if pending:
            raise CommandError(
                f"{pending} email(s) still pending: the mail server refused them or could not "
                "be reached (see the log); run send_outbox again later."
            )
        self.stdout.write(self.style.SUCCESS("The outbox is empty."))
