"""The applicant's payment pages, the gateway's return and its server-to-server notification.

Only the dossier's owner reaches a payment page (anyone else: 404, nothing revealed). The
browser's return from the gateway only shows; the notification (IPN) confirms.
"""

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.uploads import LimitedUploadHandler
from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from signing.services import SigningUnavailable

from . import selectors, services
from .constants import RECEIPT_MAX_SIZE_MB, IpnResult, PaymentStatus
from .documents import payment_confirmation_pdf
from .forms import OnlinePaymentForm, ReceiptForm
from .models import FeeNotice, Payment
from .providers.base import client_ip
from .providers.registry import ProviderNotAvailable, enabled_providers, get_provider

logger = logging.getLogger(__name__)


def _own_dossier(request: HttpRequest, dossier_id: int) -> Dossier:
    return get_object_or_404(
        Dossier.objects.for_citizen(request.user).select_related("agency", "procedure"),
        pk=dossier_id,
    )


def _own_notice(request: HttpRequest, fee_notice_id: int) -> FeeNotice:
    return get_object_or_404(
        FeeNotice.objects.filter(dossier__applicant_id=request.user.pk).select_related(
            "dossier__agency", "dossier__procedure"
        ),
        pk=fee_notice_id,
    )


def _page(request, dossier, *, receipt_form=None, status=200) -> HttpResponse:
    panel = selectors.payment_panel(dossier)
    if panel["current"] is None:
        raise Http404
    return render(
        request,
        "payments/feenotice_detail.html",
        {
            **panel,
            "receipt_form": receipt_form,
            "dossier_url": selectors.dossier_url(dossier),
        },
        status=status,
    )


@login_required
@never_cache
@require_GET
def dossier_payment(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The fee notice of one of the applicant's dossiers and the two ways to pay it."""
    return _page(request, _own_dossier(request, dossier_id))


@csrf_exempt
@login_required
@require_POST
def receipt_upload(request: HttpRequest, fee_notice_id: int) -> HttpResponse:
    """Offline: upload the photo or scan of the payment document.

    The size limit is enforced while the request streams in, so the upload handler must be
    installed before anything reads the body: the CSRF check runs right after, inside.
    """
    handler = LimitedUploadHandler(request, limits_mb={"receipt": RECEIPT_MAX_SIZE_MB})
    request.upload_handlers.insert(0, handler)
    return _receipt_upload(request, fee_notice_id, handler)


@csrf_protect
def _receipt_upload(request, fee_notice_id, handler) -> HttpResponse:
    notice = _own_notice(request, fee_notice_id)
    form = ReceiptForm(request.POST, request.FILES)
    for error in handler.rejected.get("receipt", []):
        form.add_error(None, error)
    if form.is_valid():
        try:
            services.payment_receipt_submit(
                fee_notice_id=notice.pk, user=request.user, file=form.cleaned_data["receipt"]
            )
        except services.PaymentError as exc:
            form.add_error("receipt", str(exc))
        else:
            messages.success(
                request,
                _("Your payment receipt was sent. The agency will check it and tell you."),
            )
            return redirect(selectors.dossier_url(notice.dossier) + "#payment")
    return _page(request, notice.dossier, receipt_form=form, status=400)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def online_start(request: HttpRequest, fee_notice_id: int) -> HttpResponse:
    """Online: choose a bank, then "Pay" sends the browser to the gateway."""
    notice = _own_notice(request, fee_notice_id)
    dossier = notice.dossier
    providers = enabled_providers()
    if not providers:
        raise Http404
    form = OnlinePaymentForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        try:
            provider = get_provider(form.cleaned_data["provider"])
            payment = services.payment_start_online(
                fee_notice_id=notice.pk,
                user=request.user,
                provider=provider.identifier,
                bank_code=form.cleaned_data["bank_code"],
            )
        except ProviderNotAvailable as exc:
            raise Http404 from exc
        except services.PaymentError as exc:
            messages.error(request, str(exc))
            return redirect(selectors.dossier_url(dossier) + "#payment")
        return HttpResponseRedirect(provider.start(payment, request))
    summary = selectors.notice_summary(
        FeeNotice.objects.prefetch_related("items", "payments").get(pk=notice.pk), dossier
    )
    if not summary["can_pay"]:
        return redirect(selectors.dossier_url(dossier) + "#payment")
    return render(
        request,
        "payments/payment_online.html",
        {
            "form": form,
            "dossier": dossier,
            "notice": notice,
            "items": summary["items"],
            "dossier_url": selectors.dossier_url(dossier),
        },
    )


def _vnp_params(request: HttpRequest) -> dict[str, str] | None:
    """The gateway's parameters (vnp_*), or None when one is repeated (parameter pollution)."""
    params = {}
    for key in request.GET:
        if not key.startswith("vnp_"):
            continue
        values = request.GET.getlist(key)
        if len(values) != 1:
            return None
        params[key] = values[0]
    return params


@login_required
@never_cache
@require_GET
def vnpay_return(request: HttpRequest) -> HttpResponse:
    """The browser is back from the gateway: show the outcome, never confirm.

    Paid only when the notification already confirmed the payment; a success the portal has
    not yet been told about server to server shows "being confirmed".
    """
    try:
        provider = get_provider("vnpay")
    except ProviderNotAvailable as exc:
        raise Http404 from exc
    params = _vnp_params(request)
    response = provider.handle_return(params) if params is not None else None
    if response is None or not response.valid:
        return render(request, "payments/payment_return.html", {"invalid": True}, status=400)
    payment = (
        Payment.objects.for_citizen(request.user)
        .select_related("fee_notice__dossier")
        .filter(txn_ref=response.txn_ref, provider=provider.identifier)
        .first()
    )
    if payment is None:
        raise Http404
    dossier = payment.fee_notice.dossier
    if payment.status == PaymentStatus.CONFIRMED:
        state = "paid"
    elif payment.flagged_for_review and payment.status == PaymentStatus.INITIATED:
        state = "review"
    elif response.succeeded:
        state = "confirming"
    else:
        state = "failed"
    return render(
        request,
        "payments/payment_return.html",
        {
            "state": state,
            "payment": payment,
            "dossier": dossier,
            "notice": payment.fee_notice,
            "gateway_message": response.message,
            "dossier_url": selectors.dossier_url(dossier),
            "can_retry": state == "failed"
            and dossier.status == DossierStatus.AWAITING_PAYMENT
            and not payment.fee_notice.is_paid,
        },
    )


@csrf_exempt
@never_cache
@require_GET
def vnpay_ipn(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification (IPN), the source of truth.

    Answers the protocol's JSON {"RspCode", "Message"}; every call is logged.
    """
    try:
        provider = get_provider("vnpay")
    except ProviderNotAvailable as exc:
        raise Http404 from exc
    params = _vnp_params(request)
    if params is None:
        code, message = IpnResult.INVALID_SIGNATURE.value, IpnResult.INVALID_SIGNATURE.label
        params = {key: request.GET.get(key, "") for key in request.GET}
    else:
        code, message = services.payment_notification_handle(provider=provider, params=params)
    services.payment_notification_record(
        provider=provider.identifier,
        params=params,
        result_code=code,
        result_message=message,
        remote_addr=client_ip(request),
    )
    return JsonResponse({"RspCode": code, "Message": message})


@login_required
@require_GET
def confirmation_pdf(request: HttpRequest, payment_id: int) -> FileResponse:
    """The payment confirmation (biên nhận thanh toán), for the owner once confirmed."""
    try:
        payment = selectors.payment_for_citizen(user=request.user, payment_id=payment_id)
    except Payment.DoesNotExist as exc:
        raise Http404 from exc
    if payment.status != PaymentStatus.CONFIRMED:
        raise Http404
    if not payment.confirmation_pdf:
        try:
            services.payment_confirmation_store(payment_id=payment.pk)
        except SigningUnavailable:
            logger.exception("payment confirmation %s served unsigned", payment.pk)
        payment.refresh_from_db()
    data: Any = (
        payment.confirmation_pdf.open("rb")
        if payment.confirmation_pdf
        # Not storable right now: render it for this response only.
        else ContentFile(payment_confirmation_pdf(payment))
    )
    return FileResponse(
        data,
        as_attachment=True,
        filename=f"bien-nhan-thanh-toan-{payment.txn_ref}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_GET
def receipt_file(request: HttpRequest, payment_id: int) -> FileResponse:
    """The applicant's own uploaded receipt."""
    try:
        payment = selectors.payment_for_citizen(user=request.user, payment_id=payment_id)
    except Payment.DoesNotExist as exc:
        raise Http404 from exc
    if not payment.receipt_file:
        raise Http404
    return FileResponse(
        payment.receipt_file.open("rb"),
        as_attachment=True,
        filename=payment.receipt_name or f"{payment.txn_ref}",
        content_type=payment.receipt_content_type or "application/octet-stream",
    )
