"""The order e-mails: confirmation, shipped, cancelled, refunded."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from orders.models import Order

logger = logging.getLogger(__name__)

ORDER_EMAILS = ("confirmation", "shipped", "cancelled", "refunded")


def send_order_email(*, order_id: int, kind: str) -> None:
    """Send one of the order e-mails (templates/orders/email/<kind>_subject|body.txt).

    Called on commit, so a rolled-back order never e-mails anyone. A mail server that is down
    is logged, not raised: the order is placed either way.
    """
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order e-mail {kind!r}")
    order = Order.objects.prefetch_related("lines", "discounts").get(pk=order_id)
    context = {"order": order, "shop_name": settings.SHOP_NAME}
    subject = render_to_string(f"orders/email/{kind}_subject.txt", context).strip()
    body = render_to_string(f"orders/email/{kind}_body.txt", context)
    try:
        send_mail(subject, body, None, [order.email])
    except OSError:
        logger.exception("Could not send the %s e-mail of order %s", kind, order.number)
