"""Late and stop handling on the dossier's admin page: draft an apology letter and new
appointment, sign or cancel it, stop processing; and the three documents (the letters and the
processing-control slip) as PDF.

Who may act is the services' business (`services.letters` asks `dossiers.policy` and writes the
audit entry, done or refused); the page only offers the buttons the policy allows
(`policy.letter_steps`, and per letter `apology_sign_refusal` / `apology_cancel_refusal`) and
shows a refusal's message.
"""

from types import SimpleNamespace
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import take_admin_step

from .. import letters, policy, selectors, services
from ..constants import APOLOGY_STATUSES, ApologyStatus, DossierStatus
from ..models import ApologyLetter, Dossier
from ..views.files import issued_response
from ..views.letters import apology_response, stop_notice_response

S = DossierStatus


class ApologyDraftForm(forms.Form):
    expected_status = forms.ChoiceField(choices=S.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for the delay"),
        max_length=services.letters.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The applicant reads it once a leader signs; it is printed on the letter."),
    )
    new_date = forms.DateField(
        label=_("New date for the result"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A working day after today and after the date promised now."),
    )


class StopForm(forms.Form):
    expected_status = forms.ChoiceField(choices=S.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for stopping"),
        max_length=services.letters.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The applicant reads it; it is printed on the stop notice you sign."),
    )


# The pages of the two steps with a form: their title, form, and the service call.
FORM_STEPS = {
    "apology_draft": SimpleNamespace(
        name="apology_draft", label=_("Draft an apology letter and new appointment")
    ),
    "stop": SimpleNamespace(name="stop", label=_("Stop processing")),
}


class DossierLettersMixin:
    """The late and stop part of the dossier admin, under `<dossier>/letters/…`."""

    def _dossier(self, request: HttpRequest, object_id: str) -> Dossier:
        raise NotImplementedError

    def letter_urls(self) -> list:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/letters/apology/new/",
                wrap(self.apology_draft_view),
                name="dossiers_dossier_apology_draft",
            ),
            path(
                "<path:object_id>/letters/apology/<int:letter_id>/sign/",
                wrap(require_POST(self.apology_sign_view)),
                name="dossiers_dossier_apology_sign",
            ),
            path(
                "<path:object_id>/letters/apology/<int:letter_id>/cancel/",
                wrap(require_POST(self.apology_cancel_view)),
                name="dossiers_dossier_apology_cancel",
            ),
            path(
                "<path:object_id>/letters/apology/<int:letter_id>/pdf/",
                wrap(self.apology_pdf_view),
                name="dossiers_dossier_apology_pdf",
            ),
            path(
                "<path:object_id>/letters/stop/",
                wrap(self.stop_view),
                name="dossiers_dossier_stop",
            ),
            path(
                "<path:object_id>/letters/stop-notice/",
                wrap(self.stop_notice_view),
                name="dossiers_dossier_stop_notice",
            ),
            path(
                "<path:object_id>/letters/control-slip/",
                wrap(self.control_slip_view),
                name="dossiers_dossier_control_slip",
            ),
        ]

    def letters_context(self, request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
        """What the page's late-and-stop include shows `request.user` on `dossier`."""
        user = request.user
        steps = policy.letter_steps(user, dossier)
        rows: list[dict[str, Any]] = []
        awaiting = False
        for letter in selectors.apology_letters_for_staff(dossier):
            letter.dossier = dossier
            pending = letter.status == ApologyStatus.DRAFT
            awaiting = awaiting or pending
            rows.append(
                {
                    "letter": letter,
                    "pdf_url": reverse(
                        "admin:dossiers_dossier_apology_pdf", args=[dossier.pk, letter.pk]
                    ),
                    "sign_url": reverse(
                        "admin:dossiers_dossier_apology_sign", args=[dossier.pk, letter.pk]
                    )
                    if pending
                    and dossier.status in APOLOGY_STATUSES
                    and policy.apology_sign_refusal(user, letter) is None
                    else "",
                    "cancel_url": reverse(
                        "admin:dossiers_dossier_apology_cancel", args=[dossier.pk, letter.pk]
                    )
                    if pending and policy.apology_cancel_refusal(user, letter) is None
                    else "",
                }
            )
        return {
            "letter_rows": rows,
            "letter_draft_url": reverse("admin:dossiers_dossier_apology_draft", args=[dossier.pk])
            if "apology_draft" in steps and not awaiting
            else "",
            "letter_stop_url": reverse("admin:dossiers_dossier_stop", args=[dossier.pk])
            if "stop" in steps
            else "",
            "stop_notice_url": reverse("admin:dossiers_dossier_stop_notice", args=[dossier.pk])
            if dossier.status == S.STOPPED
            else "",
            "control_slip_url": reverse("admin:dossiers_dossier_control_slip", args=[dossier.pk])
            if dossier.code
            else "",
        }

    # The two steps with a form

    def _form_page(self, request, dossier, step_name: str, form) -> HttpResponse:
        change_url = reverse("admin:dossiers_dossier_change", args=[dossier.pk])
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "original": dossier,
            "title": f"{FORM_STEPS[step_name].label} — {dossier}",
            "step": FORM_STEPS[step_name],
            "form": form,
            "change_url": change_url,
            "media": self.media + form.media,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/dossiers/dossier/step_form.html", context)

    def _form_step(self, request, object_id: str, step_name: str, form_class, call, done):
        """A step with a form: GET shows it; a valid POST calls `call(dossier, cleaned_data)`
        (the service) and goes back to the dossier, a refusal shows on the form again."""
        dossier = self._dossier(request, object_id)
        if request.method != "POST":
            form = form_class(initial={"expected_status": dossier.status})
            return self._form_page(request, dossier, step_name, form)
        form = form_class(request.POST)
        if form.is_valid():
            refusal = take_admin_step(
                request,
                lambda: call(dossier, form.cleaned_data),
                done=done,
                refused=(services.DossierError,),
            )
            if refusal is None or isinstance(refusal, services.TransitionRefused):
                return HttpResponseRedirect(
                    reverse("admin:dossiers_dossier_change", args=[dossier.pk])
                )
            form.add_error(None, str(refusal))
        return self._form_page(request, dossier, step_name, form)

    def apology_draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._form_step(
            request,
            object_id,
            "apology_draft",
            ApologyDraftForm,
            lambda dossier, data: services.dossier_apology_draft(
                dossier_id=dossier.pk,
                actor=request.user,
                reason=data["reason"],
                new_date=data["new_date"],
                expected_status=data["expected_status"],
                request=request,
            ),
            done=lambda letter: (
                gettext(
                    "The apology letter with the new date %(date)s awaits a leader's signature."
                )
                % {"date": date_filter(letter.new_date, "SHORT_DATE_FORMAT")}
            ),
        )

    def stop_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._form_step(
            request,
            object_id,
            "stop",
            StopForm,
            lambda dossier, data: services.dossier_stop(
                dossier_id=dossier.pk,
                actor=request.user,
                reason=data["reason"],
                expected_status=data["expected_status"],
                request=request,
            ),
            done=gettext("Processing stopped: the applicant was sent the notice."),
        )

    # One-button steps on a letter

    def apology_sign_view(self, request: HttpRequest, object_id: str, letter_id: int):
        dossier = self._dossier(request, object_id)
        expected = request.POST.get("expected_status")
        take_admin_step(
            request,
            lambda: services.dossier_apology_sign(
                dossier_id=dossier.pk,
                actor=request.user,
                letter_id=letter_id,
                expected_status=expected if expected in S.values else None,
                request=request,
            ),
            done=lambda letter: (
                gettext("Signed: the applicant was told the new date %(date)s.")
                % {"date": date_filter(letter.new_date, "SHORT_DATE_FORMAT")}
            ),
            refused=(services.DossierError,),
        )
        return HttpResponseRedirect(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))

    def apology_cancel_view(self, request: HttpRequest, object_id: str, letter_id: int):
        dossier = self._dossier(request, object_id)
        take_admin_step(
            request,
            lambda: services.dossier_apology_cancel(
                dossier_id=dossier.pk, actor=request.user, letter_id=letter_id, request=request
            ),
            done=gettext("The apology letter was cancelled."),
            refused=(services.DossierError,),
        )
        return HttpResponseRedirect(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))

    # The documents

    def apology_pdf_view(self, request: HttpRequest, object_id: str, letter_id: int):
        dossier = self._dossier(request, object_id)
        try:
            letter = selectors.apology_letter_for_pdf(
                request.user, dossier.pk, letter_id, signed_only=False
            )
        except ApologyLetter.DoesNotExist as exc:
            raise Http404 from exc
        return apology_response(letter)

    def stop_notice_view(self, request: HttpRequest, object_id: str):
        dossier = self._dossier(request, object_id)
        if dossier.status != S.STOPPED:
            raise Http404
        return stop_notice_response(dossier)

    def control_slip_view(self, request: HttpRequest, object_id: str):
        dossier = self._dossier(request, object_id)
        if not dossier.code:
            raise Http404
        return issued_response(
            lambda: services.control_slip_issue(dossier=dossier),
            lambda: letters.control_slip_pdf(dossier),
            letters.letter_filename(dossier, "control"),
        )
