from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from allauth.mfa.models import Authenticator

from . import services
from .admin_audit import AuditedAdminMixin, audit_changes_display
from .forms import StaffCreationForm
from .models import AuditEntry, Notification, OutgoingEmail, SecondFactor, StaffInvitation, User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "applicant_type", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "applicant_type"]
    search_fields = ["email", "full_name", "citizen_id", "tax_code", "phone"]
    readonly_fields = ["last_login", "date_joined", "activated_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Applicant"),
            {
                "fields": (
                    "full_name",
                    "applicant_type",
                    "phone",
                    "date_of_birth",
                    "citizen_id",
                    "address",
                    "organisation_name",
                    "tax_code",
                    "language",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "activated_at")}),
    )
    # Adding a user creates a staff account with no password: the officer sets it, together
    # with TOTP, through a one-time invitation emailed on save (never a password alone).
    add_form = StaffCreationForm
    add_form_template = None
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "language"),
                "description": _(
                    "The new staff member receives an email invitation: a one-time link, valid "
                    "for a limited time, on which they choose a password and turn on "
                    "two-factor authentication. Give permissions and the agency afterwards."
                ),
            },
        ),
    )
    actions = ["send_staff_invitation"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.is_staff = True
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if not change:
            services.staff_invitation_send(user=obj, actor=request.user, request=request)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("An invitation to set up the account was emailed to %(email)s.")
            % {"email": obj.email},
            messages.SUCCESS,
        )
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Send a new invitation to the selected staff"))
    def send_staff_invitation(self, request, queryset):
        """For an officer whose link expired or was lost; an account already claimed (with a
        password) or not staff is left alone. Any earlier link stops working."""
        sent, skipped = 0, 0
        for user in queryset:
            if user.is_staff and not user.has_usable_password():
                services.staff_invitation_send(user=user, actor=request.user, request=request)
                sent += 1
            else:
                skipped += 1
        if sent:
            self.message_user(
                request, _("Invitations sent: %(count)d.") % {"count": sent}, messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                _("Accounts left alone: %(count)d (not staff, or already set up with a password).")
                % {"count": skipped},
                messages.WARNING,
            )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.audit_record(
                actor=request.user,
                action="admin_password_change",
                obj=self.get_object(request, unquote(id)),
                request=request,
            )
        return response


# Staff permissions are granted through groups: who changed them is audited too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, BaseGroupAdmin):
    pass


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "title", "read_at"]
    search_fields = ["user__email", "title"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "user", "title", "body", "link", "read_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_repr",
        "succeeded",
        "ip_address",
    ]
    list_filter = ["succeeded", "action", "object_type"]
    search_fields = ["actor__email", "object_repr", "object_id", "message"]
    # The changes read as lines with labelled values, not as the stored JSON.
    readonly_fields = [
        "changes_display" if f.name == "changes" else f.name for f in AuditEntry._meta.fields
    ]
    fields = tuple(readonly_fields)
    date_hierarchy = "created_at"

    @admin.display(description=_("changes"))
    def changes_display(self, obj: AuditEntry) -> str:
        return audit_changes_display(obj.object_type, obj.changes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# allauth's own admin shows a second factor's secret in a form and names it in English.
admin.site.unregister(Authenticator)


@admin.register(SecondFactor)
class SecondFactorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Second factors, read-only and without their secrets. Deleting one (a lost phone) makes
    its owner set up a new one at the next sign-in; the deletion is audited."""

    list_display = ["account", "kind", "created", "last_used"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name"]
    fields = readonly_fields = ("account", "kind", "created", "last_used")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("user"), ordering="user__email")
    def account(self, obj: Authenticator) -> str:
        return str(obj.user)

    @admin.display(description=_("kind"), ordering="type")
    def kind(self, obj: Authenticator) -> str:
        return str(obj.get_type_display())

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj: Authenticator) -> str:
        return formats.date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, obj: Authenticator) -> str:
        if obj.last_used_at is None:
            return "—"
        return formats.date_format(timezone.localtime(obj.last_used_at), "SHORT_DATETIME_FORMAT")


@admin.register(StaffInvitation)
class StaffInvitationAdmin(admin.ModelAdmin):
    """Who was invited when, by whom, and whether the link was used (the link is not stored)."""

    list_display = ["user", "created_at", "created_by", "expires_at", "used_at"]
    list_select_related = ["user", "created_by"]
    search_fields = ["user__email", "user__full_name"]
    readonly_fields = ["user", "created_at", "created_by", "expires_at", "used_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
