"""Storefront pages: the routine per grade and "Add the whole kit to cart" (thin views)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orders.session import request_cart
from recommendations import selectors
from recommendations.forms import KitAddForm, RoutineFilterForm
from recommendations.services import kits, routine
from skinshop.errors import ApplicationError


def routine_index(request: HttpRequest) -> HttpResponse:
    condition = selectors.condition_default()
    if condition is None:
        raise Http404("No skin condition is set up.")
    grades = [(grade, condition.grade_label(grade)) for grade in condition.grades]
    return render(
        request, "recommendations/routine_index.html", {"condition": condition, "grades": grades}
    )


def routine_detail(request: HttpRequest, grade: int) -> HttpResponse:
    form = RoutineFilterForm(request.GET)
    # A bad refinement is ignored (the grade's plain routine), as a bad skin type always was.
    refine = form.cleaned_data if form.is_valid() else {"skin_type": "", "zones": []}
    skin_type = refine["skin_type"]
    try:
        recommendation = routine.recommend(grade=grade, skin_type=skin_type, zones=refine["zones"])
    except ApplicationError as error:
        raise Http404(error.message) from error
    context = {"recommendation": recommendation, "form": form, "skin_type": skin_type}
    return render(request, "recommendations/routine_detail.html", context)


@require_POST
def kit_add(request: HttpRequest) -> HttpResponse:
    form = KitAddForm(request.POST)
    valid = form.is_valid()
    # The form's cleaned grade, never the raw text: "²".isdigit() is true, int("²") fails.
    grade = form.cleaned_data.get("grade")
    back = (
        reverse("recommendations:routine_detail", kwargs={"grade": grade})
        if grade is not None
        else reverse("recommendations:routine_index")
    )
    if not valid:
        messages.error(request, "This kit could not be found; please pick your routine again.")
        return redirect(back)
    data = form.cleaned_data
    try:
        recommendation = kits.requested_kit(
            request=request,
            rule_id=data["rule"],
            grade=data["grade"],
            condition_slug=data["condition"],
            skin_type=data["skin_type"],
            check_id=data["diagnosis"],
        )
        result = kits.kit_add_to_cart(cart=request_cart(request), recommendation=recommendation)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    if result.added:
        messages.success(
            request,
            f"Added the {recommendation.kit_title} to your cart: {result.added_text()}.",
        )
    else:
        messages.error(request, "Nothing from this kit could be added to your cart.")
    for problem in result.problems:
        messages.warning(request, problem)
    for note in result.notes:
        messages.info(request, note)
    return redirect("orders:cart_detail")
