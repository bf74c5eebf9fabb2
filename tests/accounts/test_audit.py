"""The staff audit log: every admin change recorded with who, what and the field changes."""

import pytest

from accounts.models import AuditEntry
from accounts.services import audit_record
from core.addresses import client_ip

from .factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audit_entries_are_append_only():
    entry = audit_record(actor=None, action="test")
    entry.action = "changed"
    with pytest.raises(ValueError):
        entry.save()


def test_admin_change_is_audited_with_the_field_changes(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    admin = StaffFactory(is_superuser=True)
    citizen = UserFactory(full_name="Trần Văn Cũ")
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{citizen.pk}/change/")
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None
        and k
        not in (
            "groups",
            "user_permissions",
            "password",
            "last_login",
            "date_joined",
            "activated_at",
            "date_of_birth",
        )
    }
    data.update(full_name="Trần Văn Mới", applicant_type="person", language="vi", is_active="on")
    response = client.post(f"/admin/accounts/user/{citizen.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin_change")
    assert entry.actor == admin
    assert entry.object_id == str(citizen.pk)
    assert entry.changes["full_name"] == ["Trần Văn Cũ", "Trần Văn Mới"]


def test_client_ip_honours_the_trusted_proxy_count(rf, settings):
    request = rf.get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.2", REMOTE_ADDR="10.0.0.1"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "203.0.113.7"  # the spoofable left part is ignored
