"""A ModelAdmin mixin that writes every admin add, change and delete to the staff audit log."""

from django.contrib import admin

from . import services


def _plain(value):
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class AuditedAdminMixin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = {}
        if change and form.changed_data:
            original = type(obj).objects.filter(pk=obj.pk).first()
            before = {name: _plain(getattr(original, name, None)) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        changes = {
            name: [before.get(name), _plain(form.cleaned_data.get(name))]
            for name in form.changed_data
        }
        services.audit_record(
            actor=request.user,
            action="admin_change" if change else "admin_add",
            obj=obj,
            changes=changes,
            request=request,
        )

    def delete_model(self, request, obj):
        services.audit_record(actor=request.user, action="admin_delete", obj=obj, request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.audit_record(
                actor=request.user, action="admin_delete", obj=obj, request=request
            )
        super().delete_queryset(request, queryset)
