"""The citizen's pages: the dossier form (drafts, files, submission), the list and the page."""

import re
import uuid

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

import pytest

from accounts.services import email_render
from dossiers import documents
from dossiers.constants import DossierStatus
from dossiers.models import Attachment, Dossier, DossierEvent
from procedures.constants import FormFieldKind
from tests.procedures.factories import FormFieldFactory

from .factories import (
    EXE_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    AgencyFactory,
    AttachmentFactory,
    DossierComponentFactory,
    DossierEventFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
)

pytestmark = pytest.mark.django_db
S = DossierStatus


@pytest.fixture
def procedure():
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"), name="Cấp giấy phép bưu chính")
    DossierComponentFactory(
        procedure=procedure, name="Đơn đề nghị", required=True, file_types=["pdf"], max_size_mb=1
    )
    DossierComponentFactory(
        procedure=procedure,
        name="Ảnh chụp cơ sở",
        required=False,
        multiple=True,
        file_types=["png", "jpg", "pdf"],
    )
    FormFieldFactory(
        procedure=procedure,
        key="scope",
        label="Phạm vi",
        kind=FormFieldKind.CHOICE,
        choices=["Liên tỉnh", "Quốc tế"],
        required=True,
    )
    FormFieldFactory(procedure=procedure, key="capital", label="Vốn", kind=FormFieldKind.NUMBER)
    return procedure


def _components(procedure):
    required, photos = procedure.components.order_by("order")
    return required, photos


def _valid_post(procedure, token=None, **overrides):
    data = {
        "form_token": str(token or uuid.uuid4()),
        "applicant_type": "person",
        "applicant_name": "Trần Thị Bình",
        "citizen_id": "001200012345",
        "phone": "0912345678",
        "email": "binh@example.com",
        "address": "12 Lý Thái Tổ, Hà Nội",
        "data_scope": "Quốc tế",
        "data_capital": "2000000000",
        "action": "submit",
    }
    data.update(overrides)
    return data


def _pdf(name="don.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# --- The form -------------------------------------------------------------------------------


def test_the_form_needs_sign_in(client, procedure):
    url = reverse("dossiers:create", args=[procedure.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_form_is_prefilled_and_describes_each_upload_slot(client, citizen, procedure):
    DossierComponentFactory(procedure=procedure, name="Mẫu tờ khai", with_template=True)
    response = client.get(reverse("dossiers:create", args=[procedure.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Trần Thị Bình"' in html
    assert f'value="{citizen.email}"' in html
    assert "Đơn đề nghị" in html and "Ảnh chụp cơ sở" in html
    assert "Accepted: PDF, up to 1 MB per file." in html
    assert 'name="component_' in html and " multiple" in html
    assert (
        reverse("procedures:template", args=[procedure.slug, procedure.components.last().pk])
        in html
    )
    assert "Phạm vi" in html and "Quốc tế" in html
    assert 'src="/static/js/upload.js" defer' in html
    assert not Dossier.objects.exists()  # opening the form creates nothing


def test_an_unpublished_procedure_has_no_form(client, citizen):
    procedure = ProcedureFactory(is_published=False)
    assert client.get(reverse("dossiers:create", args=[procedure.slug])).status_code == 404


def test_submit_with_files_sends_the_dossier(client, citizen, procedure):
    required, photos = _components(procedure)
    data = _valid_post(procedure)
    data[f"component_{required.pk}"] = _pdf()
    data[f"component_{photos.pk}"] = [
        SimpleUploadedFile("a.png", PNG_BYTES),
        SimpleUploadedFile("b.png", PNG_BYTES),
    ]
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:detail", args=[dossier.pk])
    assert dossier.status == S.SUBMITTED
    assert dossier.applicant == citizen
    assert dossier.address == "12 Lý Thái Tổ, Hà Nội"
    assert dossier.data == {"scope": "Quốc tế", "capital": "2000000000"}
    assert dossier.attachments.filter(is_current=True).count() == 3
    assert list(dossier.events.values_list("to_status", flat=True)) == [S.SUBMITTED]


def test_a_resent_submission_creates_no_second_dossier_or_event(client, citizen, procedure):
    required, _photos = _components(procedure)
    token = uuid.uuid4()
    url = reverse("dossiers:create", args=[procedure.slug])
    for _ in range(2):  # a double click or the browser's "resend"
        data = _valid_post(procedure, token)
        data[f"component_{required.pk}"] = _pdf()
        response = client.post(url, data)
        assert response.status_code == 302
    assert Dossier.objects.count() == 1
    assert DossierEvent.objects.count() == 1
    assert Attachment.objects.count() == 1  # the resent file was not stored again


def test_a_failed_validation_keeps_typed_values_and_uploaded_files(client, citizen, procedure):
    required, _photos = _components(procedure)
    data = _valid_post(procedure, citizen_id="12345", address="Số 5 ngõ 8 Hàng Bông")
    data[f"component_{required.pk}"] = _pdf("Đơn đề nghị ký tên.pdf")
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "12 digits" in html  # the CCCD error, in the summary and at the field
    assert 'value="Số 5 ngõ 8 Hàng Bông"' in html
    assert 'value="12345"' in html
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT
    attachment = dossier.attachments.get()
    assert "Đơn đề nghị ký tên.pdf" in html  # shown as already uploaded…
    assert f'name="remove" value="{attachment.pk}"' in html  # …with a way to remove it
    assert f'action="{reverse("dossiers:edit", args=[dossier.pk])}"' in html

    # Correcting the number without choosing the file again is enough to submit.
    data = _valid_post(procedure, token=dossier.form_token)
    response = client.post(reverse("dossiers:edit", args=[dossier.pk]), data)
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


@pytest.mark.parametrize("action", ["submit", "save"])
def test_one_invalid_answer_keeps_the_valid_ones_on_the_draft(client, citizen, procedure, action):
    """Leaving the error page and coming back to the draft loses none of the valid answers; the
    invalid one is not stored (the draft keeps what it had)."""
    data = _valid_post(
        procedure,
        action=action,
        applicant_name="Lê Văn Cường",
        address="Số 5 ngõ 8 Hàng Bông",
        data_scope="Quốc tế",
        data_capital="1500000000",
        phone="số điện thoại",
    )
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 200
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT

    html = client.get(reverse("dossiers:edit", args=[dossier.pk])).content.decode()
    assert 'value="Lê Văn Cường"' in html
    assert 'value="Số 5 ngõ 8 Hàng Bông"' in html
    assert 'value="001200012345"' in html
    assert 'value="binh@example.com"' in html
    assert 'value="1500000000"' in html
    assert '<option value="Quốc tế" selected>' in html
    assert "số điện thoại" not in html
    dossier.refresh_from_db()
    assert dossier.phone == citizen.phone  # the draft keeps the profile's number

    # Next visit: the capital is mistyped, the address corrected. The stored capital stays.
    data = _valid_post(
        procedure,
        token=dossier.form_token,
        action=action,
        address="Số 7 Hàng Bông",
        data_capital="nhiều tiền",
    )
    assert client.post(reverse("dossiers:edit", args=[dossier.pk]), data).status_code == 200
    dossier.refresh_from_db()
    assert dossier.address == "Số 7 Hàng Bông"
    assert dossier.phone == "0912345678"
    assert dossier.data == {"scope": "Quốc tế", "capital": "1500000000"}


def test_a_renamed_program_is_refused_and_nothing_else_is_lost(client, citizen, procedure):
    required, photos = _components(procedure)
    data = _valid_post(procedure, address="Số 9 Phố Huế")
    data[f"component_{required.pk}"] = _pdf("setup.pdf", EXE_BYTES)
    data[f"component_{photos.pk}"] = SimpleUploadedFile("anh.png", PNG_BYTES)
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "setup.pdf: The content of the file is not a valid PDF document" in html
    assert 'value="Số 9 Phố Huế"' in html
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT
    assert [a.original_name for a in dossier.attachments.all()] == ["anh.png"]


def test_an_oversized_file_is_refused_while_streaming(client, citizen, procedure):
    required, _photos = _components(procedure)
    data = _valid_post(procedure)
    data[f"component_{required.pk}"] = _pdf("lon.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 10))
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 200
    assert "lon.pdf: The file is larger than 1 MB." in response.content.decode()
    assert not Attachment.objects.exists()
    assert Dossier.objects.get().status == S.DRAFT


def test_too_many_files_in_one_slot_are_refused(client, citizen, procedure, settings):
    settings.UPLOAD_MAX_FILES_PER_COMPONENT = 2
    required, photos = _components(procedure)
    data = _valid_post(procedure)
    data[f"component_{required.pk}"] = _pdf()
    data[f"component_{photos.pk}"] = [SimpleUploadedFile(f"{i}.png", PNG_BYTES) for i in range(3)]
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 200
    assert "2.png: at most 2 files can be attached here." in response.content.decode()
    dossier = Dossier.objects.get()
    assert dossier.attachments.filter(component=photos).count() == 2
    assert dossier.status == S.DRAFT


def test_a_missing_required_component_blocks_submission(client, citizen, procedure):
    response = client.post(
        reverse("dossiers:create", args=[procedure.slug]), _valid_post(procedure)
    )
    assert response.status_code == 200
    assert "Attach the required files: Đơn đề nghị." in response.content.decode()
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT
    assert dossier.address == "12 Lý Thái Tổ, Hà Nội"  # the typed details were kept


def test_save_draft_then_resume_and_remove_a_file(client, citizen, procedure):
    required, _photos = _components(procedure)
    data = _valid_post(procedure, action="save", phone="", data_scope="")
    data[f"component_{required.pk}"] = _pdf()
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:edit", args=[dossier.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Your draft was saved" in page
    assert "don.pdf" in page
    attachment = dossier.attachments.get()
    data = _valid_post(procedure, token=dossier.form_token, action="save", remove=[attachment.pk])
    client.post(reverse("dossiers:edit", args=[dossier.pk]), data)
    attachment.refresh_from_db()
    assert attachment.is_current is False  # kept as a version, not deleted
    assert attachment.file.storage.exists(attachment.file.name)


def test_file_names_with_paths_and_control_characters_are_sanitised(client, citizen, procedure):
    required, _photos = _components(procedure)
    data = _valid_post(procedure, action="save")
    data[f"component_{required.pk}"] = _pdf("..\\..\\Windows\\đơn\x07.pdf")
    client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    attachment = Attachment.objects.get()
    assert attachment.original_name == "đơn.pdf"
    assert ".." not in attachment.file.name


def test_a_submitted_dossier_cannot_be_edited(client, citizen, procedure):
    dossier = DossierFactory(procedure=procedure, applicant=citizen, status=S.SUBMITTED)
    response = client.get(reverse("dossiers:edit", args=[dossier.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:detail", args=[dossier.pk])


# --- Privacy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["detail", "edit", "withdraw", "result", "slip", "file"], ids=str
)
def test_another_user_s_dossier_is_not_found(client, citizen, procedure, url_name):
    other = DossierFactory(
        procedure=procedure, status=S.APPROVED, code="VBC-270310-0001", result_file="results/x.pdf"
    )
    attachment = AttachmentFactory(dossier=other)
    args = {
        "slip": [other.pk, "receipt"],
        "file": [other.pk, attachment.pk],
    }.get(url_name, [other.pk])
    response = client.get(reverse(f"dossiers:{url_name}", args=args))
    assert response.status_code == 404


def test_a_file_of_my_dossier_cannot_be_reached_through_another_dossier(client, citizen):
    mine = DossierFactory(applicant=citizen)
    theirs = AttachmentFactory()
    response = client.get(reverse("dossiers:file", args=[mine.pk, theirs.pk]))
    assert response.status_code == 404


def test_files_are_downloaded_as_attachments_never_inline(client, citizen):
    attachment = AttachmentFactory(
        dossier=DossierFactory(applicant=citizen), original_name="Đơn.pdf"
    )
    response = client.get(reverse("dossiers:file", args=[attachment.dossier_id, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%C4%90%C6%A1n.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_of_the_agency_may_download_others_may_not(client):
    from allauth.mfa.models import Authenticator

    attachment = AttachmentFactory(dossier__status=S.SUBMITTED)
    url = reverse("dossiers:file", args=[attachment.dossier_id, attachment.pk])
    mine, theirs = agency_staff(attachment.dossier.agency), agency_staff(AgencyFactory())
    for officer in (mine, theirs):
        Authenticator.objects.create(user=officer, type=Authenticator.Type.TOTP, data={})
    client.force_login(mine)
    assert client.get(url).status_code == 200
    client.force_login(theirs)
    assert client.get(url).status_code == 404


# --- List and page --------------------------------------------------------------------------


def test_the_list_shows_code_status_dates_and_marks_what_waits_for_me(client, citizen, procedure):
    DossierFactory(applicant=citizen, procedure=procedure, status=S.DRAFT)
    DossierFactory(
        applicant=citizen,
        procedure=procedure,
        status=S.SUPPLEMENT_REQUESTED,
        code="VBC-270310-0007",
        due_date="2027-03-17",
    )
    DossierFactory(status=S.SUBMITTED, code="VBC-270310-0008")  # someone else's
    html = client.get(reverse("dossiers:list")).content.decode()
    assert "VBC-270310-0007" in html and "VBC-270310-0008" not in html
    assert "17/03/2027" in html
    assert html.count('class="needs-action"') == 1
    assert "Action needed from you" in html
    filtered = client.get(reverse("dossiers:list"), {"status": S.DRAFT}).content.decode()
    assert "VBC-270310-0007" not in filtered
    assert "Cấp giấy phép bưu chính" in filtered


def test_the_list_costs_the_same_queries_for_5_or_45_dossiers(client, citizen):
    def count() -> int:
        cache.clear()  # the cost of building the page (signed-in user included), nothing stored
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dossiers:list"), {"page": 2}).status_code == 200
        return len(queries)

    for _ in range(5):
        DossierFactory(applicant=citizen)
    few = count()
    for _ in range(40):
        DossierFactory(applicant=citizen, procedure=ProcedureFactory())
    many = count()
    assert few == many
    assert many <= 8


def test_the_list_is_paginated_by_20(client, citizen):
    for _ in range(21):
        DossierFactory(applicant=citizen)
    html = client.get(reverse("dossiers:list")).content.decode()
    assert len(re.findall(r'href="/me/dossiers/\d+/"', html)) == 20
    assert "Page 1 of 2" in html


def test_the_dossier_page_shows_files_versions_history_and_actions(client, citizen, procedure):
    required, _photos = _components(procedure)
    dossier = DossierFactory(
        applicant=citizen, procedure=procedure, status=S.RECEIVED, code="VBC-270310-0003"
    )
    AttachmentFactory(
        dossier=dossier, component=required, version=1, is_current=False, original_name="cu.pdf"
    )
    AttachmentFactory(dossier=dossier, component=required, version=2, original_name="moi.pdf")
    DossierEventFactory(dossier=dossier, action="receive", to_status=S.RECEIVED, note="Đã nhận")
    DossierEventFactory(dossier=dossier, action="note", note="Ghi chú nội bộ", is_public=False)
    response = client.get(reverse("dossiers:detail", args=[dossier.pk]))
    html = response.content.decode()
    assert "moi.pdf" in html and "cu.pdf" in html and "1 earlier version" in html
    assert "Đã nhận" in html and "Ghi chú nội bộ" not in html
    assert reverse("dossiers:slip", args=[dossier.pk, "receipt"]) in html
    assert reverse("dossiers:withdraw", args=[dossier.pk]) in html


def test_withdraw_asks_then_withdraws(client, citizen, procedure):
    dossier = DossierFactory(applicant=citizen, procedure=procedure, status=S.SUBMITTED)
    url = reverse("dossiers:withdraw", args=[dossier.pk])
    assert "Withdraw the dossier?" in client.get(url).content.decode()
    response = client.post(url, {"expected_status": S.SUBMITTED, "reason": "Nộp nhầm"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.WITHDRAWN
    # Once withdrawn, again is refused with a message, not an error page.
    response = client.post(url, {"expected_status": S.SUBMITTED}, follow=True)
    assert "someone else acted" in response.content.decode()


def test_the_personal_page_lists_the_latest_dossiers(client, citizen, procedure):
    DossierFactory(
        applicant=citizen, procedure=procedure, code="VBC-270310-0009", status=S.RECEIVED
    )
    html = client.get(reverse("accounts:me")).content.decode()
    assert "VBC-270310-0009" in html


@pytest.mark.django_db(transaction=True)
def test_a_double_click_at_the_same_instant_creates_one_dossier(postgres, procedure):
    import threading

    from django.db import connection as default_connection
    from django.test import Client

    required, _photos = _components(procedure)
    user = UserFactory()
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    statuses = []

    def click():
        try:
            client = Client()
            client.force_login(user)
            data = _valid_post(procedure, token)
            data[f"component_{required.pk}"] = _pdf()
            barrier.wait(timeout=10)
            statuses.append(
                client.post(reverse("dossiers:create", args=[procedure.slug]), data).status_code
            )
        finally:
            default_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    dossier = Dossier.objects.get()
    assert dossier.status == S.SUBMITTED
    assert DossierEvent.objects.count() == 1
    assert dossier.attachments.count() == 1


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_list_shows_each_status_label_in_the_active_language(
    client, citizen, procedure, settings, language
):
    from django.utils import translation

    DossierFactory(applicant=citizen, procedure=procedure, status=S.SUPPLEMENT_REQUESTED)
    DossierFactory(applicant=citizen, procedure=procedure, status=S.DRAFT)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("dossiers:list")).content.decode()

    with translation.override(language):
        waiting, draft = str(S.SUPPLEMENT_REQUESTED.label), str(S.DRAFT.label)
    assert f'<span class="status status-waiting">{waiting}</span>' in html
    assert f">{draft}</span>" in html


@pytest.mark.parametrize(
    ("language", "explained"),
    [
        ("en", "asks for this secret after the code"),
        ("vi", "trang sẽ hỏi mã bí mật này sau mã hồ sơ"),
    ],
)
def test_the_lookup_secret_is_explained_where_the_citizen_sees_it(
    client, language, explained, mailoutbox
):
    dossier = DossierFactory(
        status=DossierStatus.RECEIVED, code="VBC-261202-0001", lookup_secret="K7M2QX"
    )
    dossier.applicant.language = language
    client.force_login(dossier.applicant)
    client.cookies["django_language"] = language
    page = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
    assert "K7M2QX" in page and explained in page
    context = {"user": dossier.applicant, "dossier": dossier}
    _, text, html = email_render(template="dossier_received", context=context, language=language)
    assert explained in text and explained in html
    with translation.override("vi"):  # the slip is Vietnamese whatever the reader's language
        receipt = render_to_string(
            documents.SLIP_TEMPLATES["receipt"], documents.slip_context(dossier, "receipt")
        )
    assert "trang Tra cứu hồ sơ hỏi mã này" in receipt


# --- The catalogue in the reader's language ---------------------------------------------------


@pytest.fixture
def shipped_postal(db):
    """The shipped catalogue's postal licence (1.004477), loaded from procedures/data/."""
    from procedures.management.commands.load_catalogue import load_catalogue
    from procedures.models import Procedure

    load_catalogue()
    return Procedure.objects.get(national_code="1.004477")


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "en",
            [
                "Issuance of a postal licence",
                "Department of Post",
                "Enterprise code / tax code",
                "10 or 13 digits",
                '<option value="Quốc tế">International</option>',
                "Application for a postal licence",
                "Using the prescribed form, signed by the legal representative.",
            ],
            ["Gồm 10 hoặc 13 chữ số", "Mã số doanh nghiệp", "Đơn đề nghị cấp", '<span lang="vi">'],
        ),
        (
            "vi",
            [
                "Cấp giấy phép bưu chính",
                "Vụ Bưu chính",
                "Mã số doanh nghiệp/ mã số thuế",
                "Gồm 10 hoặc 13 chữ số",
                '<option value="Quốc tế">Quốc tế</option>',
                "Đơn đề nghị cấp giấy phép bưu chính",
            ],
            ["10 or 13 digits", "Enterprise code", "Application for a postal licence"],
        ),
    ],
)
def test_part_2_of_the_form_is_in_the_readers_language(
    client, citizen, shipped_postal, settings, language, expected, absent
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("dossiers:create", args=[shipped_postal.slug])).content.decode()

    for text in expected:
        assert text in html, text
    for text in absent:
        assert text not in html, text


def test_an_untranslated_label_and_hint_show_in_vietnamese_marked_as_such(
    client, citizen, procedure
):
    FormFieldFactory(procedure=procedure, key="tax", label="Mã số thuế", help="Gồm 10 chữ số")
    FormFieldFactory(
        procedure=procedure, key="name", label="Tên", label_en="Name", help="", help_en=""
    )

    html = client.get(reverse("dossiers:create", args=[procedure.slug])).content.decode()

    assert '<span lang="vi">Mã số thuế</span>' in html
    assert (
        '<p class="hint" id="id_data_tax_helptext"><span lang="vi">Gồm 10 chữ số</span></p>' in html
    )
    assert '<span lang="vi">Đơn đề nghị</span>' in html  # a component without English
    assert '<label for="id_data_name">Name</label>' in html  # translated: not marked


def test_the_dossier_page_shows_answers_and_components_in_the_readers_language(
    client, citizen, procedure, settings
):
    scope = procedure.form_fields.get(key="scope")
    scope.label_en, scope.choices_en = "Scope", ["Inter-provincial", "International"]
    scope.save()
    required, _photos = _components(procedure)
    required.name_en = "Application form"
    required.save()
    dossier = DossierFactory(
        applicant=citizen, procedure=procedure, status=S.SUBMITTED, data={"scope": "Quốc tế"}
    )
    url = reverse("dossiers:detail", args=[dossier.pk])

    english = client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = client.get(url).content.decode()

    assert "<dt>Scope</dt><dd>International</dd>" in english
    assert "Application form" in english
    assert "<dt>Phạm vi</dt><dd>Quốc tế</dd>" in vietnamese
    assert "Đơn đề nghị" in vietnamese and "Application form" not in vietnamese


def test_the_transaction_list_names_procedures_in_the_readers_language(
    client, citizen, procedure, settings
):
    procedure.name_en = "Issuance of a postal licence"
    procedure.save()
    DossierFactory(applicant=citizen, procedure=procedure, status=S.SUBMITTED)

    english = client.get(reverse("dossiers:list")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = client.get(reverse("dossiers:list")).content.decode()
    personal = client.get(reverse("accounts:me")).content.decode()

    assert "Issuance of a postal licence" in english
    assert "Cấp giấy phép bưu chính" not in english
    assert "Cấp giấy phép bưu chính" in vietnamese
    assert "Cấp giấy phép bưu chính" in personal
