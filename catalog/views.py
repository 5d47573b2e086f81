"""The storefront. What every visitor sees alike comes from the shared cache (catalog.cache);
the page around it (header, cart count, messages) is rendered per request by base.html."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalog import cache, selectors
from catalog.forms import ProductFilterForm

PRODUCTS_PER_PAGE = 12


def product_list(request: HttpRequest) -> HttpResponse:
    page = cache.shared(
        "product-list", cache.query_parts(request), lambda: _product_list_page(request)
    )
    return render(request, "catalog/product_list.html", {"page": page})


def _product_list_page(request: HttpRequest) -> dict:
    categories = list(selectors.category_list())
    form = ProductFilterForm(request.GET, categories=categories)
    # Invalid fields are reported on the form and ignored; the valid ones still apply.
    form.is_valid()
    filters = form.cleaned_data
    search = filters.get("q", "")
    products = selectors.product_list(
        category_slug=filters.get("category") or None,
        search=search or None,
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
        "search": search,
    }
    if current_category:
        title = current_category.name
    else:
        title = f"Search: {search}" if search else "Shop"
    return {
        "title": title,
        "content": cache.render_fragment(
            "catalog/includes/product_list_content.html", context, request
        ),
    }


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = cache.shared("product-detail", slug, lambda: _product_detail_page(request, slug))
    if page is None:
        raise Http404("No such product.")
    content = cache.with_csrf_token(page["content"], request)
    return render(request, "catalog/product_detail.html", {"page": page, "content": content})


def _product_detail_page(request: HttpRequest, slug: str) -> dict | None:
    """The shared part of a product's page; None (cached too) for no active product."""
    product = selectors.product_detail_queryset().filter(slug=slug).first()
    if product is None:
        return None
    return {
        "title": f"{product.brand} {product.name}",
        "content": cache.render_fragment(
            "catalog/includes/product_detail_content.html", {"product": product}, request
        ),
    }
