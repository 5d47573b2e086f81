from django.http import HttpRequest

from orders import selectors
from orders.session import session_cart_id


def cart(request: HttpRequest) -> dict:
    """The number of units in the cart, for the header badge (one query, creates nothing)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    cart_id = session_cart_id(request) if session is not None else None
    return {"cart_count": selectors.cart_count(user=user, cart_id=cart_id)}
