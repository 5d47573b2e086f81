"""Checkpoints: plain tensors plus JSON metadata, read back with torch.load(weights_only=True)
so that loading a file never runs arbitrary pickled code."""

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .contract import FACE_MARGIN, IMAGENET_MEAN, IMAGENET_STD, INPUT_SIZE
from .errors import CheckpointError
from .model import ARCHS, DECISION_RULES, DEFAULT_DECISION_RULE, SkinNet
from .scale import Scale

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# The models that ship: "real" (ACNE04 + synthetic; academic use only) is the default,
# "synthetic" (the generator alone; no restriction on use) the clean alternative.
SHIPPED = {"real": WEIGHTS_DIR / "real.pt", "synthetic": WEIGHTS_DIR / "synthetic.pt"}
DEFAULT_MODEL = "real"
FORMAT = "skinnet/1"

# Keys every checkpoint carries; defaults fill the ones a caller leaves out.
DEFAULT_META: dict[str, Any] = {
    "arch": "resnet18",
    "input_size": INPUT_SIZE,
    "mean": list(IMAGENET_MEAN),
    "std": list(IMAGENET_STD),
    "aux_heads": {},
    "decision_rule": DEFAULT_DECISION_RULE,
    "target_layer": "encoder.layer3",
    "face_margin": FACE_MARGIN,
    "data_hash": "",
    "metrics": {},
    "name": "skinnet",
    "version": "0",
}
REQUIRED_META = ("arch", "scale", "input_size", "mean", "std", "aux_heads", "decision_rule")


def save_checkpoint(
    path: str | Path,
    model: SkinNet,
    meta: dict[str, Any],
    *,
    half: bool = False,
    extra: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write the model's weights and metadata. half=True stores floating tensors as float16
    (they are loaded back as float32). ``extra``: tensors that are not weights but travel with
    them (e.g. the out-of-distribution statistics), stored as float32."""
    full = {**DEFAULT_META, **meta}
    full.setdefault("created_at", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    full["arch"] = model.arch
    if "scale" not in full:
        raise ValueError("meta must carry the scale (Scale.to_dict())")
    if Scale.from_dict(full["scale"]).num_grades != model.num_grades:
        raise ValueError("the scale in meta does not match the model's number of grades")
    aux = full["aux_heads"]
    if {k: len(v) for k, v in aux.items()} != model.aux_sizes:
        raise ValueError("meta aux_heads (name -> class labels) must match the model's heads")
    state = {}
    for key, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if half and tensor.is_floating_point():
            tensor = tensor.half()
        state[key] = tensor.contiguous()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Metadata as a JSON string: the weights-only unpickler accepts it, and it stays JSON-able.
    payload = {"format": FORMAT, "meta": json.dumps(full, sort_keys=True), "state_dict": state}
    if extra:
        payload["extra"] = {k: v.detach().cpu().float().contiguous() for k, v in extra.items()}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def shipped_checkpoint(name: str = DEFAULT_MODEL) -> Path:
    """The path of a shipped model by name (``SHIPPED``)."""
    try:
        return SHIPPED[name]
    except KeyError:
        raise CheckpointError(
            f"Unknown shipped model {name!r}; choose one of {', '.join(SHIPPED)}."
        ) from None


def commercial_use(meta: dict[str, Any]) -> bool:
    """Whether every data set the model learned from may be used commercially. Checkpoints
    that do not say are trusted as before (the synthetic model predates the field)."""
    sources = meta.get("training_data") or []
    return bool(meta.get("commercial_use", True)) and all(
        s.get("commercial_use", False) for s in sources
    )


def read_meta(path: str | Path) -> dict[str, Any]:
    return _read(path)[1]


def read_extra(path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's extra tensors (empty when it has none)."""
    return _read(path)[2]


def _read(path: str | Path, map_location: str | torch.device = "cpu"):
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Model checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # any unreadable / unsafe file is the same error to the caller
        raise CheckpointError(
            f"Model checkpoint {path} could not be read: {type(exc).__name__}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a SkinNet checkpoint")
    try:
        meta = json.loads(payload["meta"])
        state = payload["state_dict"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} has no readable metadata") from exc
    extra = payload.get("extra") or {}
    if not isinstance(extra, dict):
        raise CheckpointError(f"{path} has unreadable extra tensors")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise CheckpointError(f"{path} lacks metadata: {', '.join(missing)}")
    if meta["arch"] not in ARCHS or meta["decision_rule"] not in DECISION_RULES:
        raise CheckpointError(f"{path} names an unknown architecture or decision rule")
    return state, meta, extra


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[SkinNet, dict[str, Any]]:
    """Rebuild the model (float32, eval mode) and return it with its metadata."""
    model, meta, _ = load_checkpoint_with_extra(path, map_location)
    return model, meta


def load_checkpoint_with_extra(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[SkinNet, dict[str, Any], dict[str, torch.Tensor]]:
    """load_checkpoint and the extra tensors, from one read of the file."""
    state, meta, extra = _read(path, map_location)
    try:
        scale = Scale.from_dict(meta["scale"])
        model = SkinNet(
            arch=meta["arch"],
            num_grades=scale.num_grades,
            aux_heads={name: len(labels) for name, labels in meta["aux_heads"].items()},
        )
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} does not match its own metadata: {exc}".splitlines()[0]
        ) from exc
    model.to(map_location)
    model.eval()
    return model, meta, extra


def scale_of(meta: dict[str, Any]) -> Scale:
    return Scale.from_dict(meta["scale"])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
