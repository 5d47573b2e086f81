"""Storefront pages of the cart, the checkout and the customer's orders (thin: parse, call a
service, render)."""

import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from orders import selectors
from orders.forms import CheckoutForm, QuantityForm
from orders.models import Order
from orders.payments import public_sandbox_note
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from orders.session import (
    existing_request_cart,
    guest_order_numbers,
    remember_guest_order,
    request_cart,
)
from skinshop.errors import ApplicationError

logger = logging.getLogger(__name__)


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
        line = cart_services.cart_add(
            cart=request_cart(request),
            product_id=product_id,
            quantity=form.cleaned_data["quantity"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(request, "orders:cart_detail")
    messages.success(
        request, f"Added {form.cleaned_data['quantity']} × {line.product} to your cart."
    )
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
            raise cart_services.NotInCart()
        line = cart_services.cart_set_quantity(
            cart=cart, product_id=product_id, quantity=form.cleaned_data["quantity"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{line.product}: quantity set to {line.quantity}.")
    return redirect("orders:cart_detail")


@require_POST
def cart_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    cart = existing_request_cart(request)
    try:
        if cart is None:
            raise cart_services.NotInCart()
        cart_services.cart_remove(cart=cart, product_id=product_id)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Removed from your cart.")
    return redirect("orders:cart_detail")


CARD_FIELDS = ("card_number", "card_expiry", "card_cvc")


# Card details never reach an error report (Django's 500 mail or page) in clear.
@sensitive_post_parameters(*CARD_FIELDS)
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Guests may check out with an e-mail address; signed-in users get their details filled."""
    if request.method == "POST":
        return _checkout_submit(request)
    summary = selectors.cart_summary(cart=existing_request_cart(request))
    if summary.is_empty:
        messages.info(request, "Your cart is empty: add a product before checking out.")
        return redirect("orders:cart_detail")
    initial = {"idempotency_key": uuid.uuid4()}
    if request.user.is_authenticated:
        initial |= selectors.checkout_details(user=request.user)
    return _checkout_page(request, CheckoutForm(initial=initial), summary)


def _checkout_submit(request: HttpRequest) -> HttpResponse:
    form = CheckoutForm(request.POST)
    cart = request_cart(request)
    if not form.is_valid():
        return _checkout_page(request, form, selectors.cart_summary(cart=cart))
    try:
        order = checkout_services.order_place(
            cart=cart,
            user=request.user,
            email=form.cleaned_data["email"],
            address=form.address(),
            card=form.card(),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except checkout_services.EmptyCart as error:
        messages.error(request, error.message)
        return redirect("orders:cart_detail")
    except checkout_services.CheckoutError as error:
        form.add_error(None, error.message)
        # Someone else's key (a guest's from another session): nothing of its order.
        reused = isinstance(error, checkout_services.IdempotencyKeyReused)
        summary = selectors.cart_summary(cart=cart)
        return _checkout_page(request, form, summary, status=409 if reused else 200)
    except DatabaseError:
        # E.g. the connection dropped mid-checkout: the transaction rolled back (no order,
        # stock and cart as they were). The form keeps its idempotency key, so submitting
        # again is safe even if the commit itself had gone through.
        logger.exception("Checkout failed on a database error")
        form.add_error(
            None,
            "Your order could not be placed because of a temporary problem on our side. "
            "Please try again in a moment; submitting again never orders twice.",
        )
        return _checkout_page(request, form, selectors.cart_summary(cart=cart))
    if order.user_id is None and not order.is_replay:
        # Only the session that placed it; a replay was placed by this session's cart, which
        # remembered it then.
        remember_guest_order(request, order.number)
    messages.success(request, f"Thank you! Order {order.number} is placed and paid.")
    return redirect(order)


def _checkout_page(
    request: HttpRequest, form: CheckoutForm, summary: selectors.CartSummary, status: int = 200
) -> HttpResponse:
    context = {"form": form, "summary": summary, "sandbox_note": public_sandbox_note()}
    return render(request, "orders/checkout.html", context, status=status)


def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The owner's order; a guest sees the orders placed in this browser session. Anyone
    else gets a 404, so order numbers reveal nothing."""
    order = selectors.order_detail_queryset().filter(number=number).first()
    if order is None or not _may_see(request, order):
        raise Http404("No such order.")
    return render(request, "orders/order_detail.html", {"order": order})


def _may_see(request: HttpRequest, order: Order) -> bool:
    if order.user_id is not None:
        return request.user.is_authenticated and order.user_id == request.user.pk
    return order.number in guest_order_numbers(request)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.order_list_for_user(user=request.user)
    return render(request, "orders/order_list.html", {"orders": orders})
