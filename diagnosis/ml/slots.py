"""The slots of a check: the sides of their face a shopper photographs. One list for the engine,
the shop's models, its API and the benchmarks.

"left" is the shopper's left (their left cheek towards the camera), as everywhere in the engine:
the generator's zones, the face zones and the check's slots all name sides from the shopper's
point of view, never the picture's. A "view" is something else: how the engine read a photo
(face.VIEWS: frontal, profile, close-up).
"""

SLOTS = ("front", "left", "right")
