"""Bad uploads through the dossier form: refused with a clear message, nothing else touched.

Each case starts from a draft that already holds a good file; after the bad upload the draft,
its answers and its earlier file are exactly as they were.
"""

import uuid

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from dossiers.models import Attachment, Dossier
from tests.dossiers.factories import (
    EXE_BYTES,
    HTML_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    AgencyFactory,
    DossierComponentFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure():
    procedure = ProcedureFactory(agency=AgencyFactory(code="ATTT"))
    DossierComponentFactory(
        procedure=procedure, name="Đơn đề nghị", required=True, file_types=["pdf"], max_size_mb=1
    )
    DossierComponentFactory(
        procedure=procedure, name="Ảnh", multiple=True, file_types=["png", "pdf"]
    )
    return procedure


@pytest.fixture
def draft(client, procedure):
    """A draft saved through the form with one good file in each component."""
    client.force_login(UserFactory())
    token = uuid.uuid4()
    response = client.post(
        reverse("dossiers:create", args=[procedure.slug]),
        _post(
            procedure,
            token,
            application=_file("don.pdf", PDF_BYTES),
            photos=_file("anh.png", PNG_BYTES),
        ),
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.attachments.count() == 2
    return dossier


def _file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _post(dossier_or_procedure, token, *, application=None, photos=None):
    procedure = getattr(dossier_or_procedure, "procedure", dossier_or_procedure)
    application_component, photo_component = procedure.components.order_by("order")
    data = {
        "form_token": str(token),
        "action": "save",
        "applicant_type": "person",
        "applicant_name": "Phạm Thị Hoa",
        "phone": "0912345678",
        "address": "5 Nguyễn Du, Hà Nội",
    }
    if application is not None:
        data[f"component_{application_component.pk}"] = application
    if photos is not None:
        data[f"component_{photo_component.pk}"] = photos
    return data


def _snapshot(dossier):
    dossier.refresh_from_db()
    files = [
        (a.pk, a.original_name, a.is_current, a.sha256, default_storage.exists(a.file.name))
        for a in Attachment.objects.filter(dossier=dossier).order_by("pk")
    ]
    return dossier.status, dossier.applicant_name, dossier.address, files


CASES = {
    "over-the-size-limit": (
        {"application": _file("lon.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 1))},
        "lon.pdf: The file is larger than 1 MB.",
    ),
    "a-pdf-that-is-HTML": (
        {"application": _file("don.pdf", HTML_BYTES, "application/pdf")},
        "don.pdf: The content of the file is not a valid PDF document",
    ),
    "a-program-named-pdf": (
        {"application": _file("setup.pdf", EXE_BYTES, "application/pdf")},
        "setup.pdf: The content of the file is not a valid PDF document",
    ),
    "an-empty-file": (
        {"application": _file("trong.pdf", b"", "application/pdf")},
        "trong.pdf: The file is empty.",
    ),
    "a-type-the-component-does-not-take": (
        {"application": _file("don.html", HTML_BYTES, "text/html")},
        "don.html: Files of this type are not accepted here. Accepted types: PDF.",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_else_changes(client, draft, case):
    files, message = CASES[case]
    before = _snapshot(draft)
    response = client.post(
        reverse("dossiers:edit", args=[draft.pk]), _post(draft, draft.form_token, **files)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html or "error-summary" in html
    assert _snapshot(draft) == before
    assert len(default_storage.listdir(f"dossiers/{draft.pk}")[1]) == 2  # no stray file


def test_too_many_files_keeps_the_first_ones_and_says_why(client, draft, settings):
    settings.UPLOAD_MAX_FILES_PER_COMPONENT = 2
    before = _snapshot(draft)
    photos = [_file(f"{n}.png", PNG_BYTES + bytes([n])) for n in range(3)]
    response = client.post(
        reverse("dossiers:edit", args=[draft.pk]), _post(draft, draft.form_token, photos=photos)
    )
    assert response.status_code == 200
    html = response.content.decode().lower()
    assert "at most 2 files can be attached here." in html
    after = _snapshot(draft)
    assert after[:3] == before[:3]
    assert after[3][:2] == before[3]  # the earlier files untouched
    current_photos = Attachment.objects.filter(
        dossier=draft, component__name="Ảnh", is_current=True
    )
    assert current_photos.count() == 2  # the limit holds across requests, not just within one


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../../../etc/đơn.pdf", "đơn.pdf"),
        ("..\\..\\Windows\\System32\\đơn.pdf", "đơn.pdf"),
        ("đơn\x00\x07\x1b[31m\u202e.pdf", "đơn[31m.pdf"),  # ESC, NUL, BEL, RLO gone
        ("C:\\Users\\an\\Desktop\\đơn đề nghị.pdf", "đơn đề nghị.pdf"),
    ],
    ids=["dot-dot", "backslashes", "control-and-bidi", "windows-path"],
)
def test_a_path_or_control_characters_in_the_name_cannot_reach_anything(client, draft, raw, shown):
    """The name never touches the file system: it is stored under a random name inside the
    dossier's folder; path parts and control characters are dropped from the displayed name
    (old browsers send a full Windows path, so the file itself is not refused)."""
    before = _snapshot(draft)
    response = client.post(
        reverse("dossiers:edit", args=[draft.pk]),
        _post(draft, draft.form_token, application=_file(raw, PDF_BYTES, "application/pdf")),
    )
    assert response.status_code == 302
    new = Attachment.objects.filter(dossier=draft).latest("pk")
    assert new.original_name == shown
    assert new.file.name.startswith(f"dossiers/{draft.pk}/")
    assert ".." not in new.file.name and "\\" not in new.file.name
    assert new.file.name.rsplit("/", 1)[1] != shown  # random storage name
    old_application, photo = before[3]
    after = _snapshot(draft)
    assert after[:3] == before[:3]
    assert after[3] == [
        # The earlier application is kept as a version (single-file component), not overwritten.
        (*old_application[:2], False, *old_application[3:]),
        photo,  # untouched
        (new.pk, shown, True, new.sha256, True),
    ]
    download = client.get(reverse("dossiers:file", args=[draft.pk, new.pk]))
    assert "\x00" not in download["Content-Disposition"] and "/" not in shown


def test_a_name_that_is_only_a_path_is_refused_by_type(client, draft):
    before = _snapshot(draft)
    response = client.post(
        reverse("dossiers:edit", args=[draft.pk]),
        _post(draft, draft.form_token, application=_file("../../etc/passwd", b"root:x:0:0")),
    )
    assert response.status_code == 200
    assert "passwd: Files of this type are not accepted here." in response.content.decode()
    assert _snapshot(draft) == before
