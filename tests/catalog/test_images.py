import io

import pytest
from PIL import Image

from catalog.images import SHAPES, render_product_image


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_renders_a_square_png(shape):
    data = render_product_image(
        name="Azelaic Acid 15% Gel With A Rather Long Name",
        brand="Dermaclar",
        colour="#a64d79",
        shape=shape,
    )

    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (600, 600)
    # The brand colour is on the packaging.
    assert (0xA6, 0x4D, 0x79) in {colour for _, colour in image.getcolors(maxcolors=100_000)}


def test_unknown_shape_and_bad_colour_are_refused():
    with pytest.raises(ValueError, match="Shape must be one of"):
        render_product_image(name="X", brand="Y", colour="#000000", shape="box")
    with pytest.raises(ValueError, match="#RRGGBB"):
        render_product_image(name="X", brand="Y", colour="red", shape="jar")
