"""A double click on the receipt upload, both clicks at the same instant (PostgreSQL, threads,
through the page): one payment, one history event, one stored receipt.

The double click on submit and on the supplement's send are proved in the dossier suite
(tests/README.md lists them)."""

import threading

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

import pytest

from dossiers.models import DossierEvent
from payments import services as payments
from payments.constants import PaymentStatus
from payments.models import Payment
from tests.dossiers.factories import PNG_BYTES
from tests.payments.factories import DossierFactory, StaffFactory
from tests.procedures.factories import FeeFactory


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_the_receipt_upload_keeps_one_receipt(postgres):
    dossier = DossierFactory()
    FeeFactory(procedure=dossier.procedure, amount=120_000)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 120_000)], actor=StaffFactory(is_superuser=True)
    )
    url = f"/payments/notice/{notice.pk}/receipt/"
    barrier = threading.Barrier(2)
    answers: list[int] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            client = Client()
            client.force_login(dossier.applicant)
            upload = SimpleUploadedFile("bien-lai.png", PNG_BYTES, content_type="image/png")
            barrier.wait(timeout=10)
            answers.append(client.post(url, {"receipt": upload}).status_code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert answers == [302, 302]  # both clicks see success
    payment = Payment.objects.get(fee_notice=notice)
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED
    assert (
        DossierEvent.objects.filter(dossier=dossier, action="payment_receipt_submitted").count()
        == 1
    )
    _dirs, stored = default_storage.listdir("payments/receipts")
    assert stored == [payment.receipt_file.name.rsplit("/", 1)[1]]
