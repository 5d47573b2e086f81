"""Look-alikes: things on clear skin that are not acne, drawn on faces labelled clear."""

import hashlib

import numpy as np
import pytest

from modelbuilding import lookalikes, synth


def render(seed, grade=0, **kwargs):
    return synth.render_selfie(np.random.default_rng(seed), grade, size=256, **kwargs)


def test_a_bearded_clear_face_is_drawn_without_lesions_and_labelled_clear():
    plain = render(5, gender="M")
    bearded = render(5, gender="M", look_alikes=("beard",))

    assert bearded.attrs["grade"] == 0 and bearded.attrs["look_alikes"] == "beard"
    assert bearded.mask.sum() == 0
    assert all(bearded.attrs[kind] == 0 for kind in synth.LESION_TYPES)
    changed = np.abs(np.asarray(bearded.image, float) - np.asarray(plain.image, float)).sum(2) > 20
    # The beard covers the lower face: below the nose, not the forehead.
    ys = np.nonzero(changed)[0]
    assert (
        changed.sum() > 300
        and np.median(ys) > bearded.attrs["face_box"][1] + 0.5 * bearded.attrs["face_box"][3]
    )


@pytest.mark.parametrize("kind", lookalikes.LOOK_ALIKES)
def test_each_look_alike_changes_the_face_and_draws_no_lesion(kind):
    plain, marked = render(8), render(8, look_alikes=(kind,))
    assert marked.mask.sum() == 0 and marked.attrs["grade"] == 0
    assert not np.array_equal(np.asarray(plain.image), np.asarray(marked.image))


def test_look_alikes_are_for_clear_faces_and_known_kinds_only():
    with pytest.raises(ValueError, match="clear"):
        render(1, grade=3, look_alikes=("beard",))
    with pytest.raises(ValueError, match="unknown look-alikes"):
        render(1, look_alikes=("tattoo",))


# Image and mask hashes of selfies drawn before look-alikes existed: datasets and cards made
# from a seed must not change.
BEFORE = {
    (0, 0): ("64d3b90127f48680eacfcbd2eaffa885", "fcd6bcb56c1689fcef28b57c22475bad"),
    (1, 3): ("81c3074da05c401cd824db817a977569", "ea785e3290fc2ef244852708c1f22533"),
    (2, 5): ("a0c07097e31bdeec720c16f28536a14c", "e07e762ed79900c04b3016e6f8da227c"),
}


@pytest.mark.parametrize(("seed", "grade"), list(BEFORE))
def test_selfies_without_look_alikes_are_pixel_identical_to_before(seed, grade):
    sample = render(seed, grade)
    image = hashlib.md5(np.asarray(sample.image).tobytes()).hexdigest()
    mask = hashlib.md5(sample.mask.tobytes()).hexdigest()
    assert (image, mask) == BEFORE[(seed, grade)]
    assert "look_alikes" not in sample.attrs


def test_the_look_alikes_a_model_learns_from_are_clear_lesion_free_and_not_the_check_set():
    from modelbuilding import lookalike_checks

    faces = lookalike_checks.training_crops(1, size=64, margin=0.4)

    assert faces.kinds == [lookalike_checks.CONTROL, *lookalikes.LOOK_ALIKES]
    assert faces.images.shape == (7, 64, 64, 3)
    assert (faces.grades == 0).all() and all(len(b) == 0 for b in faces.boxes)
    _, checked = lookalike_checks.check_crops(1, size=64, margin=0.4)
    assert not np.array_equal(faces.images, checked)  # other faces than the check set's
    with pytest.raises(ValueError, match="checked on"):
        lookalike_checks.training_crops(1, size=64, margin=0.4, seed=lookalike_checks.CHECK_SEED)
