def cart(request):
    """The cart badge's count (filled in by the cart implementation)."""
    return {"cart_count": 0}
