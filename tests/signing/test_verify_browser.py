"""A visitor checks a signed PDF on /verify/ in a real browser, in English and in Vietnamese,
on a desktop and on a phone; axe-core finds nothing serious."""

import pytest

from tests.layout import overflowing_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _upload(page, name: str, data: bytes) -> None:
    page.set_input_files(
        "input[name=document]",
        files=[{"name": name, "mimeType": "application/pdf", "buffer": data}],
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#verdict-title")


def test_upload_a_signed_pdf_and_read_the_verdict_in_both_languages(
    page, live_server, signed_pdfs, issue, axe_check, screenshot
):
    issue(signed_pdfs.good, dossier_code="STP-261207-0042")

    page.goto(live_server.url + "/")
    page.locator("footer a[href='/verify/']").click()
    page.wait_for_url("**/verify/")
    assert page.locator("h1").inner_text() == "Verify a signed document"
    axe_check(page, name="verify form (en)")

    _upload(page, "ket-qua.pdf", signed_pdfs.good)
    main = page.locator("main")
    assert page.locator("#verdict-title").inner_text() == (
        "Valid signature: a document issued by this portal"
    )
    text = main.inner_text()
    assert "STP-261207-0042" in text
    assert "Sở Tư pháp (test)" in text
    assert "Nguyễn Văn An" in text
    assert "Time of signing certified by a trusted timestamp authority." in text
    assert "Not modified since signing." in text
    axe_check(page, name="verify verdict (en)")
    screenshot(page, "1-valid-en")

    page.locator("header a[hreflang=vi]").click()
    page.wait_for_selector("html[lang=vi]")
    assert page.locator("h1").inner_text() == "Xác thực văn bản đã ký số"
    _upload(page, "ket-qua-sua.pdf", signed_pdfs.one_byte_changed)
    assert page.locator("#verdict-title").inner_text() == "Chữ ký không hợp lệ"
    assert "Đã bị thay đổi sau khi ký" in main.inner_text()
    axe_check(page, name="verify verdict (vi)")
    screenshot(page, "2-modified-vi")

    _upload(page, "ket-qua.pdf", signed_pdfs.good)
    assert page.locator("#verdict-title").inner_text() == (
        "Chữ ký hợp lệ: văn bản do Cổng này phát hành"
    )
    assert "STP-261207-0042" in main.inner_text()


def test_phone_width_qr_arrival_and_unknown_ca(
    page, live_server, signed_pdfs, issue, axe_check, screenshot
):
    record = issue(signed_pdfs.good, dossier_code="STP-261207-0043")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/verify/{record.reference}/")
    assert "STP-261207-0043" in page.locator("main").inner_text()
    assert overflowing_text(page) == []
    axe_check(page, name="verify QR arrival")

    _upload(page, "giay-to.pdf", signed_pdfs.unknown_ca)
    text = page.locator("main").inner_text()
    assert "This file is not the document recorded under this code" in text
    assert (
        "The certificate was issued by a certification authority this portal does not trust."
        in text
    )
    assert overflowing_text(page) == []
    axe_check(page, name="verify unknown CA on a phone")
    screenshot(page, "3-phone-unknown-ca")
