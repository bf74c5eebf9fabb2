"""Wires allauth's events to our services (no business flow is driven by signals)."""

from django.dispatch import receiver

from allauth.account.signals import email_confirmed

from . import services


@receiver(email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    services.user_account_activated(user=email_address.user)
