"""The staff steps of the dossier page, one row each: its form, its service, its message.

Who may take a step is not decided here: the services ask the access policy
(`dossiers.policy`) and write the audit entry, done or refused. The page only asks them which
steps are open (`services.dossier_available_steps`) and calls the one chosen.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import take_admin_step
from core.uploads import UploadRejected

from .. import services
from ..forms import (
    ApproveForm,
    AssignForm,
    DraftForm,
    ProcessStepForm,
    RejectForm,
    ReturnForm,
    SendBackForm,
    StepForm,
    SupplementRequestForm,
)
from ..models import Dossier


def _note(data: dict) -> dict:
    return {"note": data.get("note", "")}


def _due(result) -> str:
    return date_filter(result.dossier.due_date, "SHORT_DATE_FORMAT")


@dataclass(frozen=True)
class Step:
    name: str
    label: str | Promise
    form: type[forms.Form]
    # The service that takes the step, and its arguments beyond the dossier, the actor and the
    # status the officer saw.
    service: Callable[..., Any]
    # The success message, from what the service returned.
    done: Callable[[Any], str]
    arguments: Callable[[dict], dict] = field(default=_note)
    # Steps without inputs are a single button posting from the dossier page.
    simple: bool = False
    css: str = ""
    # The form's initial values beyond the status, from the dossier.
    initial: Callable[[Dossier], dict] = field(default=lambda dossier: {})
    # A step of the internal process: the screen's step, not its status, must still be current.
    by_step: bool = False

    def run(self, request: HttpRequest, dossier: Dossier, data: dict) -> str:
        """Take the step through its service; returns the message for the officer."""
        seen = (
            {"expected_step": data.get("expected_step")}
            if self.by_step
            else {"expected_status": data["expected_status"]}
        )
        result = self.service(
            dossier_id=dossier.pk,
            actor=request.user,
            request=request,
            **seen,
            **self.arguments(data),
        )
        return self.done(result)


def _unit(handover) -> str:
    unit = handover.to_unit
    return str(unit.display_name) if unit is not None else ""


STEPS = {
    step.name: step
    for step in (
        Step(
            "receive",
            _("Receive (issue code and due date)"),
            StepForm,
            services.dossier_receive,
            done=lambda result: (
                gettext("Received: code %(code)s, due %(due)s. The applicant was told by email.")
                % {"code": result.dossier.code, "due": _due(result)}
            ),
            simple=True,
        ),
        Step(
            "start_processing",
            _("Start processing"),
            StepForm,
            services.dossier_start_processing,
            done=lambda result: gettext("Processing started."),
            simple=True,
        ),
        Step(
            "continue_processing",
            _("Continue processing (new due date)"),
            StepForm,
            services.dossier_start_processing,
            done=lambda result: (
                gettext("Processing continues after the supplement: new due date %(due)s.")
                % {"due": _due(result)}
            ),
            simple=True,
        ),
        Step(
            "request_supplement",
            _("Request a supplement"),
            SupplementRequestForm,
            services.dossier_request_supplement,
            done=lambda result: gettext("The supplement request was sent to the applicant."),
            arguments=lambda data: {
                "message": data["message"],
                "components": data["components"],
                "fields": data["info_fields"],
                "deadline_days": data["deadline_days"],
            },
        ),
        Step(
            "approve",
            _("Approve with the result"),
            ApproveForm,
            services.dossier_approve,
            done=lambda result: gettext("Approved: the applicant was told the result is ready."),
            arguments=lambda data: {"result_file": data["result_file"], **_note(data)},
        ),
        Step(
            "reject",
            _("Reject"),
            RejectForm,
            services.dossier_reject,
            done=lambda result: gettext("Rejected: the applicant was told the reason."),
            arguments=lambda data: {"reason": data["reason"]},
            css="step-danger",
        ),
        Step(
            "return_result",
            _("Mark the result returned"),
            ReturnForm,
            services.dossier_return_result,
            done=lambda result: gettext("The result is marked as returned."),
            arguments=lambda data: {
                "delivered_via": data.get("delivered_via") or "",
                "waybill_number": data.get("waybill_number") or "",
                **_note(data),
            },
            initial=lambda dossier: {"delivered_via": dossier.result_delivery},
        ),
        # The internal process (DESIGN §10).
        Step(
            "step_take",
            _("Take this dossier"),
            ProcessStepForm,
            services.dossier_step_take,
            done=lambda handover: gettext("The dossier is yours to examine."),
            arguments=lambda data: {},
            simple=True,
            by_step=True,
        ),
        Step(
            "step_assign",
            _("Assign to a specialist"),
            AssignForm,
            services.dossier_step_assign,
            done=lambda handover: (
                gettext("Assigned to %(name)s.") % {"name": handover.to_user.full_name}
            ),
            arguments=lambda data: {"assignee": data["assignee"]},
            by_step=True,
        ),
        Step(
            "draft_result",
            _("Draft the result and send it for review"),
            DraftForm,
            services.dossier_result_draft,
            done=lambda handover: (
                gettext("The draft was sent to %(unit)s for review.") % {"unit": _unit(handover)}
            ),
            arguments=lambda data: {"draft_file": data["draft_file"], **_note(data)},
            by_step=True,
        ),
        Step(
            "step_forward",
            _("Hand over to the next step"),
            ProcessStepForm,
            services.dossier_step_forward,
            done=lambda handover: gettext("Handed over to %(unit)s.") % {"unit": _unit(handover)},
            by_step=True,
        ),
        Step(
            "step_back",
            _("Send back to the previous step"),
            SendBackForm,
            services.dossier_step_back,
            done=lambda handover: gettext("Sent back to %(unit)s.") % {"unit": _unit(handover)},
            arguments=lambda data: {"reason": data["reason"]},
            css="step-danger",
            by_step=True,
        ),
    )
}


class DossierStepsMixin:
    """The step page of the dossier admin: `<dossier>/step/<name>/`. A GET shows the step's
    form (simple steps go back to the dossier page); a POST takes the step."""

    def _dossier(self, request: HttpRequest, object_id: str) -> Dossier:
        raise NotImplementedError

    def step_view(self, request: HttpRequest, object_id: str, step_name: str) -> HttpResponse:
        dossier = self._dossier(request, object_id)
        step = STEPS.get(step_name)
        if step is None:
            raise Http404
        try:
            # A refused POST is an attempt, recorded; a page merely opened is not.
            services.dossier_step_check(
                step=step.name,
                dossier=dossier,
                actor=request.user,
                expected_status=request.POST.get("expected_status", ""),
                request=request,
                record=request.method == "POST",
            )
        except services.StepForbidden as refused:
            if not refused.stale:
                raise PermissionDenied from refused
            messages.error(request, str(refused))
            return HttpResponseRedirect(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
        change_url = reverse("admin:dossiers_dossier_change", args=[dossier.pk])
        kwargs: dict[str, Any] = (
            {"dossier": dossier} if getattr(step.form, "takes_dossier", False) else {}
        )
        if request.method != "POST":
            if step.simple:
                return HttpResponseRedirect(change_url)
            initial = {
                "expected_status": dossier.status,
                "expected_step": dossier.current_step_id,
                **step.initial(dossier),
            }
            form = step.form(initial=initial, **kwargs)
        else:
            form = step.form(request.POST, request.FILES, **kwargs)
            if form.is_valid():
                refusal = take_admin_step(
                    request,
                    lambda: step.run(request, dossier, form.cleaned_data),
                    done=lambda message: message,
                    # Rolled back and recorded by the service.
                    refused=(services.DossierError, UploadRejected),
                    forbidden=(services.StepForbidden,),
                )
                if (
                    refusal is None
                    or step.simple
                    or isinstance(refusal, services.TransitionRefused)
                ):
                    return HttpResponseRedirect(change_url)
                form.add_error(None, str(refusal))
            elif step.simple:
                services.dossier_step_audit(
                    step=step.name,
                    dossier=dossier,
                    actor=request.user,
                    succeeded=False,
                    message="incomplete request",
                    expected_status=request.POST.get("expected_status", ""),
                    request=request,
                )
                messages.error(request, gettext("The request was incomplete. Please try again."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "original": dossier,
            "title": f"{step.label} — {dossier}",
            "step": step,
            "form": form,
            "change_url": change_url,
            "media": self.media + form.media,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/dossiers/dossier/step_form.html", context)
