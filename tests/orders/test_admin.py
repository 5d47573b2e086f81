import pytest
from django.urls import reverse

from catalog.models import Stock
from orders.models import Order, OrderStatus
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


def act(client, action: str, *orders: Order, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [order.pk for order in orders], **extra},
        follow=True,
    )


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_staff_ship_deliver_and_cancel_through_the_services(admin_client):
    product = ProductFactory(stock=10)
    shipped = place_order(products=[(product, 2)])
    cancelled = place_order(products=[(product, 3)])

    assert "1 order(s) marked shipped." in texts(act(admin_client, "mark_shipped", shipped))
    response = act(admin_client, "cancel", cancelled, confirmed="yes")
    assert "1 order(s) cancelled." in texts(response)
    act(admin_client, "mark_delivered", shipped)

    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {
        shipped.number: OrderStatus.DELIVERED,
        cancelled.number: OrderStatus.CANCELLED,
    }
    stock = Stock.objects.get(product=product)
    assert (stock.quantity, stock.allocated) == (8, 0)


def test_an_invalid_transition_gives_a_clear_admin_message(admin_client):
    order = place_order()

    response = act(admin_client, "mark_delivered", order)

    assert f"Order {order.number} is paid; it cannot be marked delivered." in texts(response)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_order_page_shows_lines_and_payments(admin_client):
    order = place_order()
    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    assert order.lines.get().product_name in response.content.decode()


def staff_client(client, *codenames: str):
    from django.contrib.auth.models import Permission

    from tests.accounts.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def offered_actions(client) -> set[str]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered
    return set() if form is None else {name for name, _ in form.fields["action"].choices if name}


def test_view_only_staff_are_offered_no_action_and_cannot_post_one(client):
    order = place_order()
    staff = staff_client(client, "view_order")

    assert offered_actions(staff) == set()
    for action in ("mark_shipped", "mark_delivered", "cancel"):
        act(staff, action, order, confirmed="yes")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_shipping_needs_change_order_and_cancelling_needs_cancel_order(client):
    order = place_order()

    clerk = staff_client(client, "view_order", "change_order")
    assert offered_actions(clerk) == {"mark_shipped", "mark_delivered"}
    act(clerk, "cancel", order, confirmed="yes")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID

    manager = staff_client(client, "view_order", "cancel_order")
    assert offered_actions(manager) == {"cancel"}
    act(manager, "cancel", order, confirmed="yes")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
