from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

from catalog.selectors import stock_status

register = template.Library()


@register.filter
def money(amount: Decimal | None) -> str:
    """A price in the shop's currency: ``€1,234.50``."""
    if amount is None:
        return ""
    return f"{settings.SHOP_CURRENCY_SYMBOL}{intcomma(f'{Decimal(amount):.2f}')}"


@register.inclusion_tag("includes/stock_badge.html")
def stock_badge(available: int) -> dict:
    """A coloured badge for how many units can still be sold."""
    return {"status": stock_status(available), "available": available}
