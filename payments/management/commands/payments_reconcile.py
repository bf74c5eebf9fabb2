"""`manage.py payments_reconcile`: ask the gateway about online payments left unsettled."""

from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = (
        "Query the gateway (querydr) for online payments still 'initiated' past their expiry, "
        "and confirm, fail, expire or flag them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=5,
            help="Only payments expired at least this long ago (default 5).",
        )

    def handle(self, *args, grace_minutes: int, **options):
        outcomes = services.payments_reconcile(grace_minutes=grace_minutes)
        for payment, outcome in outcomes:
            self.stdout.write(f"{payment.txn_ref}: {outcome}")
        self.stdout.write(self.style.SUCCESS(f"{len(outcomes)} payment(s) reconciled."))
