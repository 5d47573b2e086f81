"""Generated product pictures for the demo catalog: a simple packshot drawn with Pillow.

No downloads: each picture is a bottle, tube, jar, dropper or patch sheet in the brand's
colour with the product's name on its label.
"""

import io

from PIL import Image, ImageDraw, ImageFont

SIZE = 600
SHAPES = ("bottle", "tube", "jar", "dropper", "patches")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"Colour must look like #RRGGBB, not {hex_colour!r}.")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _mix(colour: tuple[int, int, int], other: tuple[int, int, int], share: float):
    return tuple(round(c * (1 - share) + o * share) for c, o in zip(colour, other, strict=True))


def _font(size: int) -> ImageFont.ImageFont:
    # DejaVu ships with most Linux images; Pillow's own scalable default is the fallback.
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: int) -> list[str]:
    """Greedy word wrap by rendered width, so long names stay inside the label."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _label(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], brand: str, name: str):
    left, top, right, bottom = box
    draw.rounded_rectangle(box, radius=14, fill=(255, 255, 255))
    centre = (left + right) // 2
    draw.text((centre, top + 26), brand.upper(), font=_font(20), fill=(90, 90, 90), anchor="mm")
    max_width = right - left - 24
    # Shrink the type until the name fits in the lines the label has room for.
    for size in (26, 22, 19, 16):
        font = _font(size)
        lines = _wrap(draw, name, font, max_width)
        line_height = size + 6
        if len(lines) * line_height <= bottom - top - 60:
            break
    y = top + 52 + line_height // 2
    for line in lines:
        draw.text((centre, y), line, font=font, fill=(40, 40, 40), anchor="mm")
        y += line_height


def render_product_image(*, name: str, brand: str, colour: str, shape: str) -> bytes:
    """A square PNG packshot of a product."""
    if shape not in SHAPES:
        raise ValueError(f"Shape must be one of {', '.join(SHAPES)}, not {shape!r}.")
    main = _rgb(colour)
    light = _mix(main, (255, 255, 255), 0.85)
    dark = _mix(main, (0, 0, 0), 0.35)
    image = Image.new("RGB", (SIZE, SIZE), light)
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 500, 480, 560), fill=_mix(light, (0, 0, 0), 0.12))  # shadow

    if shape == "bottle":
        draw.rectangle((275, 70, 325, 130), fill=dark)  # pump stem
        draw.rounded_rectangle((230, 50, 370, 80), radius=10, fill=dark)  # pump head
        draw.rounded_rectangle((250, 125, 350, 165), radius=8, fill=dark)  # collar
        draw.rounded_rectangle((170, 160, 430, 530), radius=40, fill=main)
        _label(draw, (190, 260, 410, 440), brand, name)
    elif shape == "tube":
        draw.polygon([(160, 60), (440, 60), (400, 440), (200, 440)], fill=main)
        draw.rectangle((160, 50, 440, 75), fill=dark)  # crimp
        draw.rounded_rectangle((230, 435, 370, 535), radius=12, fill=dark)  # cap
        _label(draw, (195, 150, 405, 340), brand, name)
    elif shape == "jar":
        draw.rounded_rectangle((140, 190, 460, 260), radius=16, fill=dark)  # lid
        draw.rounded_rectangle((150, 250, 450, 530), radius=30, fill=main)
        _label(draw, (175, 300, 425, 480), brand, name)
    elif shape == "dropper":
        draw.ellipse((260, 30, 340, 130), fill=dark)  # rubber bulb
        draw.rounded_rectangle((245, 110, 355, 190), radius=10, fill=dark)
        draw.rounded_rectangle((190, 185, 410, 530), radius=30, fill=main)
        _label(draw, (205, 270, 395, 450), brand, name)
    else:  # patches: a sheet of round hydrocolloid dots
        draw.rounded_rectangle((110, 90, 490, 530), radius=24, fill=main)
        for row in range(3):
            for col in range(4):
                x, y = 160 + col * 90, 120 + row * 75
                dot = _mix(main, (255, 255, 255), 0.6)
                draw.ellipse((x - 26, y - 26, x + 26, y + 26), fill=dot)
        _label(draw, (150, 355, 450, 510), brand, name)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
