"""Storefront pages of the cart, the checkout and the customer's orders (thin: parse, call a
service, render)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from orders import selectors, services
from orders.forms import QuantityForm
from orders.session import existing_request_cart, request_cart


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form came from when it is ours, else to ``default``."""
    target = request.POST.get("next") or request.headers.get("referer")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def cart_detail(request: HttpRequest) -> HttpResponse:
    summary = selectors.cart_summary(cart=existing_request_cart(request))
    return render(request, "orders/cart_detail.html", {"summary": summary})


@require_POST
def cart_add(request: HttpRequest, product_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["quantity"]))
        return _back(request, "orders:cart_detail")
    try:
        line = services.cart_add(
            cart=request_cart(request),
            product_id=product_id,
            quantity=form.cleaned_data["quantity"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return _back(request, "orders:cart_detail")
    messages.success(request, f"Added {form.cleaned_data['quantity']} × {line.product} to your cart.")
    return redirect("orders:cart_detail")


@require_POST
def cart_update(request: HttpRequest, product_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["quantity"]))
        return redirect("orders:cart_detail")
    cart = existing_request_cart(request)
    try:
        if cart is None:
            raise ValidationError("This product is not in your cart.")
        line = services.cart_set_quantity(
            cart=cart, product_id=product_id, quantity=form.cleaned_data["quantity"]
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{line.product}: quantity set to {line.quantity}.")
    return redirect("orders:cart_detail")


@require_POST
def cart_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    cart = existing_request_cart(request)
    try:
        if cart is None:
            raise ValidationError("This product is not in your cart.")
        services.cart_remove(cart=cart, product_id=product_id)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Removed from your cart.")
    return redirect("orders:cart_detail")
