"""The portal's admin site: Django's, with autocomplete labels a model admin can choose.

Django's autocomplete answers with `str(obj)`. A model admin that defines
`autocomplete_label(obj)` has its own label instead (a dossier shows its code and applicant,
where `str()` shows the code alone). Installed as the default site by `portal.apps.PortalAdminConfig`, so
every `@admin.register` lands here.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class PortalAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)
