"""How the applicant receives the result: chosen on the dossier form, printed on the receipt
slip, recorded by the desk when it returns the result (DESIGN §10)."""

import re
import shutil

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

import pytest

from dossiers import documents
from dossiers.constants import DossierStatus, ResultDelivery
from dossiers.models import Dossier

from .factories import DossierFactory
from .test_documents import dossier, pdf_text  # noqa: F401
from .test_views import _components, _pdf, _valid_post, procedure  # noqa: F401

pytestmark = pytest.mark.django_db
S = DossierStatus
POST_ERROR = (
    "Enter the postal address the result should be sent to, or choose another way to receive it."
)


def _submit(client, procedure, **overrides):  # noqa: F811
    required, _photos = _components(procedure)
    data = _valid_post(procedure, **overrides)
    data[f"component_{required.pk}"] = _pdf()
    with translation.override("en"):
        return client.post(
            reverse("dossiers:create", args=[procedure.slug]), data, HTTP_ACCEPT_LANGUAGE="en"
        )


def test_the_form_offers_the_three_ways_with_the_profile_address_prefilled(
    client,
    citizen,
    procedure,  # noqa: F811
):
    citizen.address = "7 Tràng Thi, Hà Nội"
    citizen.save()
    html = client.get(reverse("dossiers:create", args=[procedure.slug])).content.decode()
    for value in ("desk", "post", "online"):
        assert f'name="result_delivery" value="{value}"' in html
    checked = [i for i in html.split("<input") if "checked" in i and "result_delivery" in i]
    assert len(checked) == 1 and 'value="desk"' in checked[0]
    assert 'name="delivery_address" value="7 Tràng Thi, Hà Nội"' in html
    assert "js/delivery.js" in html
    assert "<legend" in html


def test_post_without_an_address_is_refused_and_the_answers_are_kept(
    client,
    citizen,
    procedure,  # noqa: F811
):
    response = _submit(
        client, procedure, result_delivery="post", delivery_address="", phone="0987654321"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert POST_ERROR in html
    # Linked from the error summary to the field.
    assert '<a href="#id_delivery_address">' in html
    saved = Dossier.objects.get()
    assert saved.status == S.DRAFT
    assert saved.phone == "0987654321"
    assert saved.result_delivery == ResultDelivery.POST
    assert 'value="0987654321"' in html


def test_the_message_is_in_vietnamese_by_default(client, citizen, procedure):  # noqa: F811
    required, _photos = _components(procedure)
    data = _valid_post(procedure, result_delivery="post", delivery_address="")
    data[f"component_{required.pk}"] = _pdf()
    with translation.override("vi"):
        response = client.post(
            reverse("dossiers:create", args=[procedure.slug]), data, HTTP_ACCEPT_LANGUAGE="vi"
        )
    html = response.content.decode()
    assert "Nhập địa chỉ để gửi kết quả qua bưu chính" in html


def test_the_choice_is_saved_and_shown_on_the_dossier_page(client, citizen, procedure):  # noqa: F811
    response = _submit(
        client, procedure, result_delivery="post", delivery_address="5 Hàng Bông, Hà Nội"
    )
    assert response.status_code == 302
    saved = Dossier.objects.get()
    assert saved.status == S.SUBMITTED
    assert (saved.result_delivery, saved.delivery_address) == ("post", "5 Hàng Bông, Hà Nội")
    with translation.override("en"):
        html = client.get(saved.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Receiving the result" in html
    assert "By post: 5 Hàng Bông, Hà Nội" in html


def test_a_draft_keeps_the_choice_when_resumed(client, citizen, procedure):  # noqa: F811
    response = _submit(client, procedure, result_delivery="online", action="save")
    assert response.status_code == 302
    saved = Dossier.objects.get()
    assert saved.result_delivery == ResultDelivery.ONLINE
    html = client.get(reverse("dossiers:edit", args=[saved.pk])).content.decode()
    assert 'value="online"' in html
    checked = [i for i in html.split("<input") if "checked" in i and "result_delivery" in i]
    assert len(checked) == 1 and 'value="online"' in checked[0]


@pytest.mark.parametrize(
    ("delivery", "address", "expected"),
    [
        ("desk", "", "18 Nguyễn Du, Hà Nội; bản điện tử trên"),
        ("post", "9 Phố Huế, Hà Nội", "gửi đến địa chỉ 9 Phố Huế, Hà Nội"),
        ("online", "", "trực tuyến, tải về trên"),
    ],
)
def test_the_receipt_slip_says_where_to_collect_the_result(
    dossier,  # noqa: F811
    delivery,
    address,
    expected,
):
    dossier.result_delivery = delivery
    dossier.delivery_address = address
    dossier.save()
    html = render_to_string("dossiers/pdf/receipt.html", documents.slip_context(dossier, "receipt"))
    assert expected in " ".join(html.split()), re.search(r"6\. [^\n]*", html).group(0)
    if shutil.which("pdftotext"):
        pdf = documents.dossier_slip_pdf(dossier=dossier, kind="receipt")
        assert expected in " ".join(pdf_text(pdf).split())


def test_a_new_dossier_is_collected_at_the_desk_by_default():
    assert DossierFactory().result_delivery == ResultDelivery.DESK
