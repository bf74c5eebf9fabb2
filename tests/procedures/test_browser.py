"""A person finds a procedure by field and by typing without accents, reads it, downloads a form."""

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POSTAL = "Cấp giấy phép bưu chính"
TEMPLATE = Path(__file__).parent / "data" / "templates" / "mau-don-thu.docx"


def fits_a_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_find_a_procedure_by_field_and_by_search_then_download_its_template(
    page, live_server, axe_check, screenshot, catalogue, tmp_path
):
    page.goto(live_server.url + "/")
    axe_check(page, name="home")
    screenshot(page, "1-home")

    # By field: the "Postal services" (Bưu chính) tile shows its two procedures.
    page.locator(".field-tile", has_text="Postal services").click()
    page.wait_for_url("**/procedures/field/buu-chinh/")
    axe_check(page, name="field page")
    assert page.locator(".proc-card").count() == 2
    page.get_by_role("link", name=POSTAL, exact=True).click()
    page.wait_for_url("**/procedures/1-004477/")
    assert page.get_by_role("heading", level=1).inner_text() == POSTAL

    # By typed search, without accents, from the home page.
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox").fill("giay phep buu chinh")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url("**/procedures/?q=giay+phep+buu+chinh")
    axe_check(page, name="search results")
    screenshot(page, "2-results")
    first = page.locator(".proc-card").first
    assert first.get_by_role("link").inner_text() == POSTAL
    first.get_by_role("link").click()
    page.wait_for_url("**/procedures/1-004477/")
    axe_check(page, name="detail")
    screenshot(page, "3-detail")
    main = page.locator("main")
    assert "Luật Bưu chính 2010" in main.inner_text()
    assert "1,000,000 VND" in main.inner_text()

    with page.expect_download() as info:
        page.locator("a.download").first.click()
    download = info.value
    assert download.suggested_filename == "mau-don-thu.docx"
    saved = tmp_path / "downloaded.docx"
    download.save_as(saved)
    assert saved.read_bytes() == TEMPLATE.read_bytes()

    # The same pages work on a 390px-wide phone without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ["/", "/procedures/?q=buu+chinh", "/procedures/1-004477/"]:
        page.goto(live_server.url + path)
        assert fits_a_phone(page), path
    axe_check(page, name="detail on a phone")
    screenshot(page, "4-detail-phone")
