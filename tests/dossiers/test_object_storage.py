"""Private files in S3-compatible object storage, for real: moto's S3 server on loopback, the
storage the portal's settings build from S3_BUCKET / S3_ENDPOINT_URL / S3_ACCESS_KEY /
S3_SECRET_KEY / S3_REGION (the `s3_storage` fixture), and the portal's own pages.

Downloads are streamed through the permission-checked views, never handed out as bucket
links, so a download link works only for a signed-in user who may see the file.
"""

import shutil
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from django.core.files.storage import default_storage
from django.urls import reverse

import pytest

from dossiers.models import Attachment
from procedures.management.commands.load_catalogue import load_catalogue
from procedures.models import DossierComponent
from tests.procedures.test_load_catalogue import FIXTURE

from .factories import PDF_BYTES, DossierComponentFactory, ProcedureFactory, UserFactory
from .test_views import _pdf, _valid_post

pytestmark = pytest.mark.django_db

PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@pytest.fixture
def procedure():
    procedure = ProcedureFactory(name="Cấp giấy phép bưu chính")
    DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    return procedure


def _anonymous_get(url: str) -> int:
    """The status the S3 server gives a request with no credentials at all."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _upload_as_new_citizen(client, procedure) -> Attachment:
    """A citizen signs in and saves a draft of `procedure` with one PDF, through the form."""
    owner = UserFactory()
    client.force_login(owner)
    (component,) = procedure.components.all()
    data = _valid_post(procedure, action="save", data_scope="", data_capital="")
    data[f"component_{component.pk}"] = _pdf("Đơn đề nghị.pdf")
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data)
    assert response.status_code == 302
    return Attachment.objects.get(dossier__applicant=owner)


def _assert_private(bucket, key: str) -> None:
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=key)["Grants"]
    assert grants, "the object has no ACL"
    for grant in grants:
        assert grant["Grantee"]["Type"] == "CanonicalUser", grant
        assert grant["Grantee"].get("URI") not in PUBLIC_GROUPS, grant
    assert _anonymous_get(f"{bucket.endpoint}/{bucket.name}/{key}") == 403


def test_an_uploaded_file_is_stored_privately_and_downloaded_only_through_the_portal(
    client, s3_storage, procedure
):
    attachment = _upload_as_new_citizen(client, procedure)
    key = attachment.file.name
    assert s3_storage.keys() == [key]
    assert key.startswith(f"dossiers/{attachment.dossier_id}/") and key.endswith(".pdf")
    assert "Đơn" not in key  # the citizen's file name stays in the database
    assert s3_storage.read(key) == PDF_BYTES
    _assert_private(s3_storage, key)

    url = reverse("dossiers:file", args=[attachment.dossier_id, attachment.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert not any(s3_storage.endpoint in value for _, value in download.items())
    page = client.get(reverse("dossiers:detail", args=[attachment.dossier_id]))
    assert url in page.content.decode()
    assert s3_storage.endpoint not in page.content.decode()

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    signed_out = client.get(url)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))


def test_a_deleted_object_is_gone_from_the_bucket_and_its_download_is_not_found(
    client, s3_storage, procedure
):
    attachment = _upload_as_new_citizen(client, procedure)
    default_storage.delete(attachment.file.name)

    assert s3_storage.keys() == []
    assert not default_storage.exists(attachment.file.name)
    url = reverse("dossiers:file", args=[attachment.dossier_id, attachment.pk])
    assert client.get(url).status_code == 404


def test_a_changed_catalogue_template_replaces_its_object(client, s3_storage, tmp_path):
    """load_catalogue deletes the old object and stores the new one under the same key; the
    procedure page's template download streams it from the bucket."""
    folder = tmp_path / "catalogue"
    shutil.copytree(FIXTURE.parent, folder)
    load_catalogue(folder / "catalogue.json")
    keys = s3_storage.keys()
    assert "templates/mau-don-thu.docx" in keys
    for key in keys:
        _assert_private(s3_storage, key)

    (folder / "templates" / "mau-don-thu.docx").write_bytes(b"PK\x03\x04 new version")
    load_catalogue(folder / "catalogue.json")

    assert s3_storage.keys() == keys  # replaced in place, no renamed copy left behind
    assert s3_storage.read("templates/mau-don-thu.docx") == b"PK\x03\x04 new version"
    component = DossierComponent.objects.filter(template="templates/mau-don-thu.docx").first()
    response = client.get(
        reverse("procedures:template", args=[component.procedure.slug, component.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 new version"


def test_any_bucket_link_the_storage_signs_is_short_lived(s3_storage):
    """The portal hands out no bucket link, but the storage is set to sign any it makes for
    two minutes only, and never serves an unsigned one."""
    name = default_storage.save("dossiers/0/check.pdf", _pdf())
    url = default_storage.url(name)
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["X-Amz-Signature"]
    unsigned = url.split("?")[0]
    assert _anonymous_get(unsigned) == 403
