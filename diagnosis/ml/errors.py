"""Typed errors of the analysis engine.

Each carries a stable ``code`` (for APIs and the database) and a ``message`` a shopper can act
on. The CLI prints the message on one line to stderr and exits non-zero.
"""


class AnalysisError(Exception):
    """Base class: something about the input or the model stops the analysis."""

    code = "analysis_error"
    default_message = "The image could not be analysed."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidImage(AnalysisError):
    code = "invalid_image"
    default_message = "The file is not an image we can read."


class NoFaceFound(AnalysisError):
    code = "no_face"
    default_message = (
        "No face was found. Face the camera in good light, with your whole face in the frame."
    )


class FaceTooSmall(AnalysisError):
    code = "face_too_small"
    default_message = (
        "The face is too small in the photo. Hold the phone closer, about an arm's length away."
    )


class TooDark(AnalysisError):
    code = "too_dark"
    default_message = "The photo is too dark. Face a window or a lamp and try again."


class TooBlurry(AnalysisError):
    code = "too_blurry"
    default_message = (
        "The photo is too blurry. Hold the phone still and let it focus before taking the selfie."
    )


class CheckpointError(AnalysisError):
    code = "bad_checkpoint"
    default_message = "The model checkpoint could not be loaded."
