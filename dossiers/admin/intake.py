"""Counter intake in the admin: the desk registers a dossier brought in person or by post,
then prints the receipt slip (DESIGN §10)."""

import uuid
from typing import cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import take_admin_step
from core.uploads import UploadRejected
from procedures.models import Procedure

from .. import policy, services
from ..forms import CounterIntakeForm

TEMPLATE = "admin/dossiers/dossier/intake_form.html"


class ProcedurePickForm(forms.Form):
    """First the procedure (of the officer's agency) and, optionally, the applicant's
    account, found by email or citizen ID number to fill in their details."""

    procedure = forms.ModelChoiceField(label=_("Procedure"), queryset=Procedure.objects.none())
    find = forms.CharField(
        label=_("Applicant's account (email or citizen ID number)"),
        required=False,
        max_length=254,
        help_text=_("Leave empty to type the applicant's details."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        procedures = Procedure.objects.filter(is_published=True).order_by("name")
        if not user.is_superuser:
            agency_id = policy.staff_agency_id(user)
            procedures = procedures.filter(agency_id=agency_id) if agency_id else procedures.none()
        cast(forms.ModelChoiceField, self.fields["procedure"]).queryset = procedures


class CounterIntakeMixin:
    """The "register a dossier at the desk" page of the dossier admin."""

    def get_urls(self):
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("intake/", wrap(self.intake_view), name="dossiers_dossier_intake"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def intake_view(self, request: HttpRequest) -> HttpResponse:
        if not policy.may_register(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "title": gettext("Register a dossier at the desk"),
        }
        pick = ProcedurePickForm(request.GET or None, user=request.user)
        if not pick.is_valid():
            return TemplateResponse(request, TEMPLATE, {**context, "pick": pick})
        procedure = pick.cleaned_data["procedure"]
        if request.method == "POST":
            form = CounterIntakeForm(request.POST, request.FILES, procedure=procedure)
            if form.is_valid():
                done: list = []
                take_admin_step(
                    request,
                    lambda: done.append(
                        services.dossier_counter_intake(
                            actor=request.user,
                            procedure=procedure,
                            applicant=form.applicant(),
                            data=form.declared_data(),
                            files=form.files_by_component(),
                            channel=form.cleaned_data["channel"],
                            form_token=form.cleaned_data["form_token"],
                            note=form.cleaned_data["note"],
                            delivery=form.delivery(),
                            request=request,
                        )
                    ),
                    done=gettext("The dossier is registered and received."),
                    refused=(services.DossierError, UploadRejected),
                    forbidden=(services.StepForbidden,),
                )
                if done:
                    return self._done(request, context, done[0])
        else:
            form = CounterIntakeForm(
                initial=self._initial(pick.cleaned_data["find"]), procedure=procedure
            )
        context.update(pick=pick, procedure=procedure, form=form, media=form.media)
        return TemplateResponse(request, TEMPLATE, context)

    @staticmethod
    def _initial(find: str) -> dict:
        """The form's first values: the found account's profile, if any (its address also as
        the postal address for the result, as on the citizen's own form)."""
        find = find.strip()
        account = services.applicant_account(email=find if "@" in find else "", citizen_id=find)
        profile = services.applicant_prefill(account) if account is not None else {}
        return CounterIntakeForm.initial_for(profile, {}, uuid.uuid4())

    def _done(self, request, context, dossier) -> HttpResponse:
        context = {
            **context,
            "dossier": dossier,
            "slip_url": reverse("admin:dossiers_dossier_slip", args=[dossier.pk, "receipt"]),
            "change_url": reverse("admin:dossiers_dossier_change", args=[dossier.pk]),
        }
        return TemplateResponse(request, "admin/dossiers/dossier/intake_done.html", context)
