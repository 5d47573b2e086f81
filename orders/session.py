"""Where a request's cart lives: the user's cart, or the one whose id the session keeps."""

from django.http import HttpRequest

from orders import services
from orders.models import Cart

CART_SESSION_KEY = "cart_id"


def session_cart_id(request: HttpRequest) -> int | None:
    value = request.session.get(CART_SESSION_KEY)
    return value if isinstance(value, int) else None


def request_cart(request: HttpRequest) -> Cart:
    """The cart for this request, created (and remembered in the session) when missing."""
    cart = services.cart_get_or_create(user=request.user, cart_id=session_cart_id(request))
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
