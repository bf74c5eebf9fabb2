"""The admin's own history of an issued fee notice names the items the service wrote (the
item formsets save nothing themselves: the notice and its items are the service's)."""

import json

from django.contrib.admin.models import LogEntry

import pytest

from payments.models import FeeNotice

from .test_admin import ADD, _no_mfa, agency_staff, item_data  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db


def test_the_admin_history_of_an_issued_notice_lists_its_items(client, dossier):
    client.force_login(agency_staff(dossier.agency))
    rows = [("Lệ phí cấp giấy phép", 120_000), ("Phí thẩm định", 50_000)]
    client.post(ADD, {"dossier": dossier.pk, "note": "", **item_data(rows)})
    notice = FeeNotice.objects.get()
    entry = LogEntry.objects.get(object_id=str(notice.pk))
    assert entry.is_addition()
    added = [part["added"].get("object") for part in json.loads(entry.change_message)]
    assert added[0] is None  # the notice itself
    assert [text.split(":")[0] for text in added[1:]] == [name for name, _amount in rows]
