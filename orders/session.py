"""Where a request's cart lives: the user's cart, or the one whose id the session keeps."""

from django.contrib import messages
from django.http import HttpRequest

from orders.models import Cart
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services

CART_SESSION_KEY = "cart_id"
GUEST_ORDERS_SESSION_KEY = "guest_orders"


def session_cart_id(request: HttpRequest) -> int | None:
    value = request.session.get(CART_SESSION_KEY)
    return value if isinstance(value, int) else None


def request_cart(request: HttpRequest) -> Cart:
    """The cart for this request, created (and remembered in the session) when missing."""
    cart = cart_services.cart_get_or_create(user=request.user, cart_id=session_cart_id(request))
    if cart.user_id is None:
        request.session[CART_SESSION_KEY] = cart.pk
    return cart


def existing_request_cart(request: HttpRequest) -> Cart | None:
    """The cart for this request if there is one; never writes."""
    if request.user.is_authenticated:
        return Cart.objects.filter(user=request.user).first()
    cart_id = session_cart_id(request)
    if cart_id is None:
        return None
    return Cart.objects.filter(pk=cart_id, user__isnull=True).first()


def remember_guest_order(request: HttpRequest, number: str) -> None:
    """A guest may see the orders placed in this session (there is no account to check)."""
    numbers = guest_order_numbers(request)
    if number not in numbers:
        request.session[GUEST_ORDERS_SESSION_KEY] = [*numbers, number]


def guest_order_numbers(request: HttpRequest) -> list[str]:
    value = request.session.get(GUEST_ORDERS_SESSION_KEY)
    return value if isinstance(value, list) else []


def merge_session_cart_at_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the anonymous cart joins the user's cart, and the orders
    placed as a guest in this session join the account."""
    session = getattr(request, "session", None)
    if session is None:
        return
    guest_orders = session.pop(GUEST_ORDERS_SESSION_KEY, None)
    if isinstance(guest_orders, list):
        numbers = [n for n in guest_orders if isinstance(n, str)]
        checkout_services.guest_orders_claim(user=user, numbers=numbers)
    cart_id = session.pop(CART_SESSION_KEY, None)
    if not isinstance(cart_id, int):
        return
    source = Cart.objects.filter(pk=cart_id, user__isnull=True).first()
    if source is None:
        return
    target = cart_services.cart_get_or_create(user=user)
    notes = cart_services.merge_carts(source=source, target=target)
    for note in notes:
        messages.warning(request, note, fail_silently=True)
