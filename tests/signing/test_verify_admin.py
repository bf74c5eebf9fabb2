"""The signature panel of the dossier admin: a PDF the applicant sent is checked on demand with
the same validation as the public page; unsigned files are simply unsigned."""

from django.core.files.base import ContentFile
from django.urls import reverse

import pytest

from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from tests.dossiers.factories import (
    AgencyFactory,
    AttachmentFactory,
    DossierFactory,
    ProcedureFactory,
    agency_staff,
)

from . import pdfs

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return AgencyFactory(code="STP", name="Sở Tư pháp")


@pytest.fixture
def officer(client, settings, agency):
    settings.STAFF_MFA_REQUIRED = False  # the second factor is tested in accounts
    user = agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    client.force_login(user)
    return user


@pytest.fixture
def dossier(officer, agency):
    return DossierFactory(procedure=ProcedureFactory(agency=agency), status=DossierStatus.SUBMITTED)


def attach(dossier, data: bytes, *, name="don-da-ky.pdf", content_type="application/pdf"):
    attachment = AttachmentFactory(
        dossier=dossier, original_name=name, content_type=content_type, size=len(data)
    )
    attachment.file.save(name, ContentFile(data), save=True)
    return attachment


def panel_url(attachment):
    return reverse("admin:dossiers_dossier_signature", args=[attachment.dossier_id, attachment.pk])


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_dossier_page_offers_the_check_per_pdf_without_running_it(client, dossier, monkeypatch):
    from dossiers.admin import dossier as dossier_admin

    def must_not_run(data):
        raise AssertionError("the dossier page must not validate signatures")

    monkeypatch.setattr(dossier_admin, "pdf_verify", must_not_run)
    pdf = attach(dossier, pdfs.plain_pdf())
    photo = attach(dossier, b"\x89PNG\r\n\x1a\n0000", name="anh.png", content_type="image/png")

    response = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{panel_url(pdf)}"' in html
    assert "Check signature" in html
    assert reverse("admin:dossiers_dossier_signature", args=[dossier.pk, photo.pk]) not in html


def test_signed_pdf_panel_shows_who_when_and_validity(client, dossier, signed_pdfs):
    attachment = attach(dossier, signed_pdfs.good)

    response = client.get(panel_url(attachment))

    assert response.status_code == 200
    text = text_of(response)
    assert "Valid signature, not issued by this portal" in text
    assert "Sở Tư pháp (test)" in text
    assert "Nguyễn Văn An" in text
    assert "Time of signing certified by a trusted timestamp authority." in text
    assert "The certificate was valid at the time of signing" in text


def test_tampered_pdf_panel_says_modified_after_signing(client, dossier, signed_pdfs):
    attachment = attach(dossier, signed_pdfs.one_byte_changed)

    text = text_of(client.get(panel_url(attachment)))

    assert "The signature is not valid" in text
    assert "Modified after signing" in text


def test_unsigned_pdf_is_not_refused(client, dossier):
    attachment = attach(dossier, pdfs.plain_pdf())

    response = client.get(panel_url(attachment))

    assert response.status_code == 200
    text = text_of(response)
    assert "This PDF is not signed" in text
    assert "an unsigned file is not refused" in text


def test_panel_in_vietnamese(client, dossier, signed_pdfs):
    attachment = attach(dossier, signed_pdfs.revoked)
    client.cookies["django_language"] = "vi"

    text = text_of(client.get(panel_url(attachment)))

    assert "Chữ ký không hợp lệ" in text
    assert "Chứng thư số đã bị tổ chức chứng thực thu hồi tại thời điểm ký." in text


def test_another_agency_s_file_and_non_pdf_files_have_no_panel(client, dossier):
    theirs = attach(DossierFactory(status=DossierStatus.SUBMITTED), pdfs.plain_pdf())
    photo = attach(dossier, b"\x89PNG\r\n\x1a\n0000", name="anh.png", content_type="image/png")

    assert client.get(panel_url(theirs)).status_code == 404
    assert client.get(panel_url(photo)).status_code == 404
