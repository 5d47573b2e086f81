from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog import selectors
from catalog.forms import ProductFilterForm

PRODUCTS_PER_PAGE = 12


def product_list(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.category_list())
    form = ProductFilterForm(request.GET, categories=categories)
    # Invalid fields are reported on the form and ignored; the valid ones still apply.
    form.is_valid()
    filters = form.cleaned_data
    products = selectors.product_list(
        category_slug=filters.get("category") or None,
        search=filters.get("q") or None,
        sort=filters.get("sort") or None,
    )
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    current_category = next((c for c in categories if c.slug == filters.get("category")), None)
    context = {
        "form": form,
        "categories": categories,
        "current_category": current_category,
        "page_obj": page,
        "products": page.object_list,
        "search": filters.get("q", ""),
    }
    return render(request, "catalog/product_list.html", context)


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(selectors.product_detail_queryset(), slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})
