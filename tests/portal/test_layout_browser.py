"""No text box runs out of its container on the citizen's pages, at a desktop width (1280 px)
and a phone width (390 px), in both languages, for a citizen whose email, ID and address are long.

The check runs in the page: every visible element with text of its own must not scroll sideways
(its scrollWidth within its clientWidth) and its box must stay inside its parent's box. A page
that is only as wide as the window can still hide a value under the next card, so the width of
the document alone proves nothing."""

from django.test import Client

import pytest

from dossiers import services
from tests.dossiers.factories import (
    AgencyFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)
from tests.layout import overflowing_text
from tests.procedures.factories import FormFieldFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [1280, 390]
LANGUAGES = ["vi", "en"]
LONG_EMAIL = "nguyen.thi.phuong.thao.phongphapchehoptacquocte@congtyvienthongtruyendanso.com.vn"
LONG_ADDRESS = (
    "Số 25, ngõ 68/12/3 đường Cầu Giấy, phường Quan Hoa, quận Cầu Giấy, thành phố Hà Nội; "
    "văn phòng giao dịch: Tầng 12A, tòa nhà VietinBank Tower, 126 Trần Quang Khải"
)


def assert_nothing_overflows(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    problems = overflowing_text(page)
    assert not problems, f"{url} at {page.viewport_size['width']} px:\n" + "\n".join(problems)


def long_data_citizen(**extra):
    return UserFactory(
        email=extra.pop("email", LONG_EMAIL),
        full_name="Nguyễn Thị Phương Thảo Hoàng Lan Anh",
        citizen_id="001203004567",
        address=LONG_ADDRESS,
        organisation_name="Công ty Cổ phần Viễn thông và Truyền dẫn Số Việt Nam (VNDTelecom)",
        applicant_type="organisation",
        tax_code="0101234567-001",
        **extra,
    )


@pytest.fixture
def citizen_pages(live_server, settings):
    """A citizen with long personal data and a dossier waiting for a supplement: the personal
    page, the transaction list, the dossier's page, its supplement page and a new dossier form."""
    settings.SITE_URL = live_server.url
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="CVT", name="Cục Viễn thông"),
        name=(
            "Cấp giấy phép thiết lập mạng viễn thông công cộng cố định mặt đất không sử dụng "
            "băng tần số vô tuyến điện, số thuê bao viễn thông"
        ),
    )
    part = DossierComponentFactory(
        procedure=procedure,
        name="Bản sao giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập",
        file_types=["pdf"],
    )
    FormFieldFactory(procedure=procedure, key="capital", label="Vốn điều lệ (đồng)", kind="number")
    citizen = long_data_citizen()
    dossier = DossierFactory(
        applicant=citizen, procedure=procedure, address=LONG_ADDRESS, data={"capital": "3500000000"}
    )
    services.attachment_add(
        dossier=dossier,
        component=part,
        file=upload("ban-sao-giay-chung-nhan-dang-ky-doanh-nghiep-quyet-dinh-thanh-lap.pdf"),
        user=citizen,
    )
    services.dossier_submit(dossier_id=dossier.pk, actor=citizen)
    staff = agency_staff(procedure.agency, superuser=True)
    services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    services.dossier_request_supplement(
        dossier_id=dossier.pk,
        actor=staff,
        message="Bản sao giấy chứng nhận chưa được chứng thực; đề nghị nộp bản sao có chứng thực.",
        components=[part],
        fields=["address"],
    )
    return citizen, [
        "/me/",
        "/me/dossiers/",
        f"/me/dossiers/{dossier.pk}/",
        f"/me/dossiers/{dossier.pk}/supplement/",
        f"/me/dossiers/new/{procedure.slug}/",
    ]


def sign_in(page, live_server, user, language: str) -> None:
    """Sign `user` in through a session cookie, reading the portal in `language`."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_text_runs_out_of_its_box_on_the_citizen_pages(
    page, live_server, citizen_pages, language, width, screenshot
):
    citizen, paths = citizen_pages
    page.set_viewport_size({"width": width, "height": 900})
    # A newcomer first: empty personal page and list, each with the way to the catalogue.
    sign_in(page, live_server, long_data_citizen(email="moi." + LONG_EMAIL), language)
    for path in ("/me/", "/me/dossiers/"):
        assert_nothing_overflows(page, live_server.url + path)
        assert page.locator("main a[href='/procedures/']").count() >= 1
    screenshot(page, f"empty-list-{language}-{width}")
    sign_in(page, live_server, citizen, language)
    for path in paths:
        assert_nothing_overflows(page, live_server.url + path)
    page.goto(live_server.url + "/me/")
    assert LONG_EMAIL in page.locator("main").inner_text()
    screenshot(page, f"me-{language}-{width}")
