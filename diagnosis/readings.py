"""How each photo of a check was read, in the shopper's words (pure, no Django).

The shopper chose a slot for each photo (front, left side, right side): that is what the photo
shows, and the page speaks of it that way. The engine's reading (``view``: frontal, profile,
close-up) and its remarks (``notes``) are turned into what the shopper can do about them;
zones a slot cannot show (the far cheek of a side photo) are left out; a photo the engine
could not grade and in which it found no face is said to have no face or skin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# The cheek turned away from the camera in a side photo: a frontal reading may place a zone
# there, but the shopper's photo does not show it.
HIDDEN_ZONES = {"left": {"right_cheek"}, "right": {"left_cheek"}}

SIDE_NAMES = {"front": "front", "left": "left side", "right": "right side"}

NO_FACE_OR_SKIN = (
    "We could not find a face or skin we can grade in this photo. Take a photo of your face, "
    "from the front or the side, in daylight, with your face filling most of the picture."
)
# The engine's remarks (diagnosis.ml.face), and what the page says instead ("" for nothing:
# the reading sentence says it already).
_EYES_NOT_FOUND = "The eyes were not found; the face was cropped without levelling it."
_CLOSE_UP = "No whole face was found; the photo was analysed as a close-up of the skin."
_SEVERAL_FACES = "Several faces were found; the largest one was analysed."
SEVERAL_FACES_ADVICE = (
    "If the outlines are not on your face, take this photo again with only your face in it."
)
EYES_ADVICE = (
    "The face zones are placed from the outline of your face, as your eyes were hard to see. "
    "For the best fit, look at the camera with your eyes open and hair off your face."
)


def visible_zones(zones: Iterable[dict[str, Any]], slot: str | None = None) -> list[dict[str, Any]]:
    """The zones a photo of ``slot`` can show (a side photo shows one cheek); without a slot,
    each zone is judged by its own ``slot`` (a check's combined zones)."""
    return [
        zone
        for zone in zones or ()
        if zone.get("zone") not in HIDDEN_ZONES.get(slot or zone.get("slot", ""), ())
    ]


def reading(slot: str, view: str) -> str:
    """How the photo was read, said against the slot the shopper chose, with what to do when
    the two differ."""
    side = SIDE_NAMES.get(slot, slot)
    if slot == "front":
        if view == "frontal" or not view:
            return ""
        if view == "profile":
            return (
                "This looks like a side view, so only one cheek is outlined. For the front "
                "photo, look straight at the camera."
            )
        return (
            "We could not see your whole face, so this was read as a close-up of the skin, "
            "without face zones. For the front photo, hold the phone at arm's length with your "
            "whole face in the picture."
        )
    cheek = f"your {slot} cheek"
    if view == "close-up":
        return f"Read as a close-up of {cheek}."
    if view == "frontal":
        return (
            f"This looks more like a front view, so only {cheek} is outlined. For the {side} "
            "photo, turn your head further, your ear towards the camera."
        )
    return ""


def advice(slot: str, view: str, notes: Sequence[str]) -> list[str]:
    """The engine's remarks on a photo as things the shopper can do (remarks the reading
    already covers, or that a side photo makes expected, are left out)."""
    out = []
    for note in notes or ():
        if note == _CLOSE_UP:
            continue
        if note == _EYES_NOT_FOUND:
            if slot == "front" and view == "frontal":
                out.append(EYES_ADVICE)
            continue
        out.append(SEVERAL_FACES_ADVICE if note == _SEVERAL_FACES else note)
    return out


def refusal(view: str, code: str, message: str) -> tuple[str, str]:
    """The failure code and reason of a photo the engine read but would not grade: one it
    found no face in (read as a close-up of "skin") and could not grade is, honestly, a photo
    with no face or skin we can see (a cat, a cup), not one to take "a little closer"."""
    if view == "close-up":
        return "no_face", NO_FACE_OR_SKIN
    return code, message
