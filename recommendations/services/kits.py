"""A recommendation's kit into the cart, and the discount its rule offers today."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from catalog.models import Product
from orders.models import KIT_DISCOUNT_LIMIT, Cart, CartLine
from orders.services import cart as cart_services
from recommendations import selectors
from recommendations.models import RecommendationRule, ZoneRule
from recommendations.services import routine
from recommendations.services.values import Recommendation
from skinshop.errors import ApplicationError

KIT_SOURCE_PREFIX = "recommendation-rule:"
ZONE_OFFER_PREFIX = "zone-rule:"


def kit_source(rule: RecommendationRule) -> str:
    """How a rule's kit is named on a cart (``orders.CartKit.source``)."""
    return f"{KIT_SOURCE_PREFIX}{rule.pk}"


def zone_offer(rule: ZoneRule) -> str:
    """How a zone rule is named as the offer of a kit's product (``orders.CartKitItem.offer``)."""
    return f"{ZONE_OFFER_PREFIX}{rule.pk}"


def _rule_id(source: str, prefix: str) -> int | None:
    rule_id = source.removeprefix(prefix)
    return int(rule_id) if rule_id.isascii() and rule_id.isdigit() else None


def kit_discount_offered(*, source: str, today: date | None = None) -> Decimal | None:
    """For the cart and checkout (``ORDERS_KIT_OFFER_LOOKUP``): the discount percent the kit
    ``source`` is offered at today, 0 once its rule is inactive or out of its date window.
    A zone rule's product is offered at its kit's discount (any percent, answered as the
    most a kit may give) while the zone rule is active and in its dates, else 0. None for a
    source that is neither."""
    on = today or timezone.localdate()
    if source.startswith(ZONE_OFFER_PREFIX):
        rule_id = _rule_id(source, ZONE_OFFER_PREFIX)
        offered = rule_id is not None and selectors.zone_rule_offered(rule_id=rule_id, on=on)
        return KIT_DISCOUNT_LIMIT if offered else Decimal("0")
    if not source.startswith(KIT_SOURCE_PREFIX):
        return None
    rule_id = _rule_id(source, KIT_SOURCE_PREFIX)
    rule = selectors.rule_offered(rule_id=rule_id, on=on) if rule_id is not None else None
    return rule.kit_discount_percent if rule is not None else Decimal("0")


def requested_kit(
    *,
    request,
    rule_id: int | None = None,
    grade: int | None = None,
    condition_slug: str = "",
    skin_type: str = "",
    check_id=None,
) -> Recommendation:
    """The recommendation whose kit a shopper asked for (``routine.kit_recommendation``),
    with the zone findings of ``check_id``, a skin check the shopper owns (its grade when
    neither ``rule_id`` nor ``grade`` is given). Zones never come from the client: a typed
    zone could add a zone rule's product at the kit discount with no check behind it.

    ``settings.RECOMMENDATIONS_CHECK_LOOKUP`` (this app knows nothing of skin checks) names a
    function ``(request, check_id) -> {"id", "grade", "zones"}`` that raises ``NotFound``
    for a check that is not the requester's and an ``ApplicationError`` for one without a
    result."""
    check: dict = {"id": "", "grade": None, "zones": ()}
    if check_id is not None:
        check = import_string(settings.RECOMMENDATIONS_CHECK_LOOKUP)(request, check_id)
    return routine.kit_recommendation(
        rule_id=rule_id,
        grade=grade if grade is not None or rule_id is not None else check["grade"],
        condition_slug=condition_slug,
        skin_type=skin_type,
        zones=check["zones"],
        check=str(check["id"]),
    )


@dataclass
class KitAddResult:
    added: list[tuple[Product, int]] = field(default_factory=list)
    # What the cart held before of each product added (product id → quantity), so the shopper
    # is told that a product already there now counts more.
    had: dict[int, int] = field(default_factory=dict)
    # One sentence per product that could not be added in full, for the shopper.
    problems: list[str] = field(default_factory=list)
    # About the kit discount (e.g. that it applies once per kit), for the shopper.
    notes: list[str] = field(default_factory=list)

    @property
    def units_added(self) -> int:
        return sum(quantity for _, quantity in self.added)

    def added_text(self) -> str:
        """For the shopper: "1 × A, 1 × B (you already had 1: 2 in your cart now)"."""
        parts = []
        for product, quantity in self.added:
            part = f"{quantity} × {product}"
            before = self.had.get(product.pk)
            if before:
                part += f" (you already had {before}: {before + quantity} in your cart now)"
            parts.append(part)
        return ", ".join(parts)


@transaction.atomic
def kit_add_to_cart(*, cart: Cart, recommendation: Recommendation) -> KitAddResult:
    """Add every available product of the kit to ``cart`` in one transaction.

    A product is added up to what stock allows next to what the cart already holds; what could
    not be added (out of stock, not enough left) is described in ``problems``. Nothing is
    added if the kit has no product that can be bought.

    The kit is every line of the recommendation, what zone rules added included: the shopper
    was told to buy them all, so they are one kit at one discount (the page's kit price).

    A discounted kit is also recorded on the cart (its rule, percent, products and
    quantities): the cart takes the discount off while it holds the whole kit. Adding the
    same kit again keeps one record, so the discount applies once, to one kit's quantities;
    ``notes`` tells the shopper so.
    """
    result = KitAddResult()
    for line in recommendation.unavailable_lines:
        result.problems.append(f"{line.product} is out of stock and was not added.")
    in_cart = dict(CartLine.objects.filter(cart=cart).values_list("product_id", "quantity"))
    for line in recommendation.kit_lines:
        product = line.product
        room = product.available - in_cart.get(product.pk, 0)
        quantity = min(line.quantity, room)
        if quantity < 1:
            result.problems.append(
                f"{product}: your cart already holds all {product.available} in stock."
            )
            continue
        try:
            cart_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
        except ApplicationError as error:
            # Stock moved since the page was drawn; cart_add re-checked and said why.
            result.problems.append(error.message)
            continue
        result.added.append((product, quantity))
        if in_cart.get(product.pk):
            result.had[product.pk] = in_cart[product.pk]
        if quantity < line.quantity:
            result.problems.append(
                f"{product}: only {quantity} of {line.quantity} added, the rest is not in stock."
            )
    if result.added and recommendation.kit_discount_percent > 0:
        _, again = cart_services.cart_kit_record(
            cart=cart,
            source=kit_source(recommendation.rule),
            name=recommendation.kit_title,
            discount_percent=recommendation.kit_discount_percent,
            items=[(line.product.pk, line.quantity) for line in recommendation.kit_lines],
            offers={
                line.product.pk: zone_offer(line.zone_rule)
                for line in recommendation.kit_lines
                if line.zone_rule is not None
            },
        )
        if again:
            result.notes.append(
                f"The {recommendation.kit_title} was already in your cart: its discount "
                "applies once, so the extra products are at full price."
            )
    return result
