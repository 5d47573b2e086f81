"""Staff curation in admin: validation, overlap warnings, the per-grade preview and the
Merchandiser group."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from recommendations.models import RecommendationRule, RuleItem, ZoneRule
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order
from tests.recommendations.factories import (
    ADD_URL,
    ZONE_ADD_URL,
    RuleFactory,
    RuleItemFactory,
    TreatmentPlanFactory,
    acne,
    form_errors,
    rule_form,
    zone_rule_form,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_add_a_rule_with_its_products(admin_client):
    product = ProductFactory(role="treatment")

    response = admin_client.post(ADD_URL, rule_form(product=product))

    assert response.status_code == 302
    rule = RecommendationRule.objects.get()
    item = rule.items.get()
    assert (item.product, item.role) == (product, "treatment"), "empty role = the product's"


def test_min_grade_above_max_grade_is_refused(admin_client):
    response = admin_client.post(ADD_URL, rule_form(min_grade=3, max_grade=2))

    assert response.status_code == 200
    assert form_errors(response)["max_grade"] == [
        "The highest grade must not be below the lowest grade."
    ]
    assert not RecommendationRule.objects.exists()


def test_grades_beyond_the_scale_are_refused(admin_client):
    response = admin_client.post(ADD_URL, rule_form(min_grade=4, max_grade=6))

    assert form_errors(response)["max_grade"] == [
        "GEA (Global Acne Severity) grades run from 0 to 5; 6 is not one."
    ]
    assert not RecommendationRule.objects.exists()


def test_an_inactive_product_is_refused(admin_client):
    product = ProductFactory(is_active=False, name="Old gel")

    response = admin_client.post(ADD_URL, rule_form(product=product))

    assert form_errors(response)["items.product"] == [
        "Acme Derm Old gel is not active; pick an active product."
    ]
    assert not RecommendationRule.objects.exists()


def test_a_date_window_that_ends_before_it_starts_is_refused(admin_client):
    response = admin_client.post(
        ADD_URL, rule_form(valid_from="2026-06-02", valid_until="2026-06-01")
    )

    assert form_errors(response)["valid_until"] == [
        "The end date must not be before the start date."
    ]


def test_overlapping_rules_are_saved_with_a_warning_that_names_the_winner(admin_client):
    RuleFactory(name="Broad", min_grade=1, max_grade=3, priority=1)

    response = admin_client.post(ADD_URL, rule_form(priority=5), follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert RecommendationRule.objects.count() == 2
    assert any(
        m.startswith("“Mild acne” overlaps with “Broad” (priority 1, grades 1–3).")
        and "“Mild acne” wins" in m
        for m in messages
    ), messages


def test_rules_that_cannot_meet_are_not_reported_as_overlapping(admin_client):
    RuleFactory(min_grade=3, max_grade=5)
    RuleFactory(min_grade=2, max_grade=2, is_active=False)
    RuleFactory(min_grade=2, max_grade=2, skin_type="dry")
    RuleFactory(min_grade=2, max_grade=2, valid_until=date(2020, 1, 1))

    response = admin_client.post(
        ADD_URL, rule_form(skin_type="oily", valid_from="2026-01-01"), follow=True
    )

    assert not [m for m in response.context["messages"] if "overlaps" in str(m)]


def test_the_changelist_filters_and_shows_overlaps(admin_client):
    RuleFactory(name="Broad", min_grade=1, max_grade=3)
    RuleFactory(name="Narrow", min_grade=2, max_grade=2)
    RuleFactory(name="Severe", min_grade=4, max_grade=5)
    url = reverse("admin:recommendations_recommendationrule_changelist")

    response = admin_client.get(url, {"q": "Narrow"})
    assert [r.name for r in response.context["cl"].result_list] == ["Narrow"]
    assert b'title="Broad">1 rule' in response.content  # the "Overlaps" column

    response = admin_client.get(url, {"min_grade": "4"})
    assert [r.name for r in response.context["cl"].result_list] == ["Severe"]


def test_the_preview_shows_what_each_grade_gets(admin_client):
    rule = RuleFactory(name="Mild", min_grade=2, max_grade=3)
    RuleItemFactory(rule=rule, product__name="Sold out gel", product__stock=0)
    ProductFactory(name="Cleanser", role="cleanser")

    response = admin_client.get(reverse("admin:recommendations_recommendationrule_preview"))

    assert response.status_code == 200
    ((condition, rows),) = response.context["conditions"]
    recommendations = [r for r, _ in rows]
    assert condition == acne()
    assert [r.grade for r in recommendations] == [0, 1, 2, 3, 4, 5]
    assert [r.rule for r in recommendations] == [None, None, rule, rule, None, None]
    html = response.content.decode()
    assert "Default routine" in html and "Sold out gel" in html and "unavailable" in html


def test_the_preview_can_look_at_another_day(admin_client):
    RuleFactory(name="Summer", valid_from=date(2026, 6, 1), valid_until=date(2026, 8, 31))
    url = reverse("admin:recommendations_recommendationrule_preview")

    summer = [r for r, _ in admin_client.get(url, {"on": "2026-07-01"}).context["conditions"][0][1]]
    winter = [r for r, _ in admin_client.get(url, {"on": "2026-12-01"}).context["conditions"][0][1]]

    assert {str(r.rule) for r in summer} == {"Summer"}
    assert {r.rule for r in winter} == {None}


def test_the_preview_needs_staff(client):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(reverse("admin:recommendations_recommendationrule_preview"))

    assert response.status_code == 302 and "/admin/login/" in response.url


# --- Merchandiser ---------------------------------------------------------------------------------


@pytest.fixture
def merchandiser_client(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Merchandiser"))
    client.force_login(user)
    return client


def test_the_merchandiser_group_holds_only_catalog_and_recommendation_permissions():
    group = Group.objects.get(name="Merchandiser")
    perms = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert {app for app, _ in perms} == {"catalog", "recommendations"}
    assert ("catalog", "change_product") in perms
    assert ("catalog", "change_stock") in perms
    assert ("recommendations", "change_recommendationrule") in perms
    assert ("recommendations", "add_treatmentplan") in perms
    assert ("recommendations", "view_skincondition") in perms
    assert ("recommendations", "change_skincondition") not in perms


def test_a_merchandiser_edits_products_rules_and_plans(merchandiser_client):
    product = ProductFactory()
    plan = TreatmentPlanFactory()

    for url in (
        reverse("admin:catalog_product_change", args=[product.pk]),
        ADD_URL,
        reverse("admin:recommendations_treatmentplan_change", args=[plan.pk]),
        reverse("admin:recommendations_recommendationrule_preview"),
    ):
        assert merchandiser_client.get(url).status_code == 200, url

    response = merchandiser_client.post(ADD_URL, rule_form())
    assert response.status_code == 302
    assert RecommendationRule.objects.count() == 1


def test_a_merchandiser_cannot_see_orders_or_change_the_scale(merchandiser_client):
    order = place_order()

    for url in (
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:recommendations_skincondition_add"),
    ):
        assert merchandiser_client.get(url).status_code == 403, url
    index = merchandiser_client.get(reverse("admin:index")).content.decode()
    assert "Recommendation rules" in index and "Orders" not in index


# --- zone rules ----------------------------------------------------------------------------------


def test_staff_add_a_zone_rule(admin_client):
    response = admin_client.post(ZONE_ADD_URL, zone_rule_form())

    assert response.status_code == 302
    rule = ZoneRule.objects.get()
    assert (rule.zone, rule.min_severity, rule.only_when_single_zone) == ("chin", 3, True)
    assert admin_client.get(reverse("admin:recommendations_zonerule_changelist")).status_code == 200


def test_a_zone_rule_beyond_the_scale_or_for_an_inactive_product_is_refused(admin_client):
    inactive = ProductFactory(is_active=False, name="Old gel")

    response = admin_client.post(ZONE_ADD_URL, zone_rule_form(min_severity=6, product=inactive.pk))

    assert response.status_code == 200
    assert dict(response.context["adminform"].form.errors) == {
        "min_severity": ["GEA (Global Acne Severity) grades run from 0 to 5; 6 is not one."],
        "product": ["Acme Derm Old gel is not active; pick an active product."],
    }
    assert not ZoneRule.objects.exists()


def test_a_rule_items_why_is_edited_in_the_rule(admin_client):
    response = admin_client.post(ADD_URL, rule_form(**{"items-0-why": "It unclogs pores."}))

    assert response.status_code == 302, form_errors(response)
    assert RuleItem.objects.get().why == "It unclogs pores."


def test_a_merchandiser_may_edit_zone_rules():
    perms = set(
        Group.objects.get(name="Merchandiser").permissions.values_list("codename", flat=True)
    )

    assert {"add_zonerule", "change_zonerule", "delete_zonerule", "view_zonerule"} <= perms
