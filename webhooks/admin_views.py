"""The staff pages for webhooks (/admin/webhooks/): endpoints, their secrets (shown once),
their delivery log and Resend (docs/PRODUCT.md §12.1, §12.4)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.admin_area import numbered_page, staff_required
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 50


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, new: bool):
    """The one page that shows a secret: the answer to the POST that made it, never a page
    that can be opened again."""
    return render(
        request,
        "webhooks/admin/secret.html",
        {"endpoint": endpoint, "secret": secret, "new": new},
    )


@staff_required
@require_safe
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "webhooks/admin/endpoint_list.html", {"endpoints": selectors.endpoint_list()}
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = services.create_endpoint(by=request.user, **form.cleaned_data)
        return _secret_page(request, endpoint, endpoint.secret, new=True)
    return render(
        request,
        "webhooks/admin/endpoint_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {"url": endpoint.url, "events": endpoint.event_list}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_endpoint(endpoint, by=request.user, **form.cleaned_data)
        messages.success(request, "The endpoint was saved.")
        return redirect("admin_webhook_detail", endpoint.pk)
    page = numbered_page(request, selectors.endpoint_deliveries(endpoint), PAGE_SIZE)
    deliveries = list(page.object_list)
    for delivery in deliveries:
        delivery.endpoint = endpoint  # (resend_refusal reads it; no query per row)
        delivery.resend_refusal = services.resend_refusal(delivery)
    return render(
        request,
        "webhooks/admin/endpoint_detail.html",
        {"endpoint": endpoint, "form": form, "page": page, "deliveries": deliveries},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    secret = services.rotate_secret(endpoint, by=request.user)
    return _secret_page(request, endpoint, secret, new=False)


@staff_required
@require_POST
def set_enabled(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.set_enabled(endpoint, enabled=enabled, by=request.user)
    messages.success(request, f"The endpoint is {'enabled' if enabled else 'disabled'}.")
    return redirect("admin_webhook_detail", endpoint.pk)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        services.delete_endpoint(endpoint, by=request.user)
        messages.success(request, f"The endpoint {endpoint.url} and its deliveries were deleted.")
        return redirect("admin_webhooks")
    return render(request, "webhooks/admin/endpoint_delete.html", {"endpoint": endpoint})


@staff_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        copy = services.resend_delivery(delivery, by=request.user)
    except services.WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Delivery #{delivery.pk} ({delivery.event_type}) is queued again (#{copy.pk}).",
        )
    return redirect("admin_webhook_detail", delivery.endpoint_id)
