"""Data sets: a CSV manifest (``path,grade[,gender][,ethnicity]``, extra columns allowed) and the
ACNE04 layout (split files of ``name label`` lines plus an image folder).

Faces are normalized once with face.normalize_face and cached (the normalization is
deterministic), so training never re-runs face detection epoch after epoch. Images where no
usable face is found are left out and listed in ``failures``.
"""

import csv
import hashlib
import json
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from diagnosis.ml import face
from diagnosis.ml.contract import (
    FACE_MARGIN,
    IMAGENET_MEAN,
    IMAGENET_STD,
    INPUT_SIZE,
    InputContract,
    normalize,
)
from diagnosis.ml.errors import AnalysisError
from diagnosis.ml.face import load_image, normalize_face

from .progress import Progress

DEFAULT_AUX = ("gender", "ethnicity")
UNKNOWN = -1
CACHE_VERSION = 1


@dataclass(frozen=True)
class Record:
    path: Path
    grade: int
    attrs: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


def _parse_grade(raw: str, where: str) -> int:
    try:
        grade = int(raw.strip())
    except ValueError:
        raise ValueError(f"{where}: grade {raw.strip()!r} is not an integer") from None
    if grade < 0:
        raise ValueError(f"{where}: grade {grade} is negative")
    return grade


def read_manifest(
    manifest: str | Path, *, aux_columns: Sequence[str] = DEFAULT_AUX
) -> list[Record]:
    """Parse a CSV manifest; paths are relative to the manifest's folder."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(2, "Manifest not found", str(manifest))
    with manifest.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        if "path" not in columns or "grade" not in columns:
            raise ValueError(
                f"{manifest}: the header must have 'path' and 'grade' columns, got {columns}"
            )
        records = []
        for line, row in enumerate(reader, start=2):
            grade = _parse_grade(row.get("grade") or "", f"{manifest}:{line}")
            path = (row.get("path") or "").strip()
            if not path:
                raise ValueError(f"{manifest}:{line}: empty path")
            attrs = {c: (row.get(c) or "").strip() for c in aux_columns if c in columns}
            extra = {
                c: (row.get(c) or "").strip()
                for c in columns
                if c not in ("path", "grade") and c not in aux_columns
            }
            records.append(Record(manifest.parent / path, grade, attrs, extra))
    if not records:
        raise ValueError(f"{manifest}: the manifest lists no images")
    return records


def read_acne04_split(split_file: str | Path, image_dir: str | Path) -> list[Record]:
    """Parse an ACNE04 split file: one ``name label`` pair per line (blank lines ignored)."""
    split_file, image_dir = Path(split_file), Path(image_dir)
    if not split_file.is_file():
        raise FileNotFoundError(2, "Split file not found", str(split_file))
    records = []
    for line_no, line in enumerate(split_file.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"{split_file}:{line_no}: expected 'name label', got {line.strip()!r}")
        name, label = parts
        records.append(Record(image_dir / name, _parse_grade(label, f"{split_file}:{line_no}")))
    if not records:
        raise ValueError(f"{split_file}: the split lists no images")
    return records


def data_hash(records: Sequence[Record]) -> str:
    """A content hash of the images and their labels (identifies the data a model saw)."""
    digest = hashlib.sha256()
    for rec in records:
        digest.update(f"{rec.grade}|{json.dumps(rec.attrs, sort_keys=True)}|".encode())
        try:
            digest.update(rec.path.read_bytes())
        except OSError:
            digest.update(f"missing:{rec.path.name}".encode())
    return digest.hexdigest()[:16]


def _normalize_one(path: Path, size: int, margin: float) -> tuple[np.ndarray | None, str]:
    try:
        face = normalize_face(load_image(path), size=size, margin=margin)
    except AnalysisError as exc:
        return None, exc.code
    except FileNotFoundError:
        return None, "missing_file"
    return face.image, ""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _call_normalizer(job):
    normalizer, *args = job
    return normalizer(*args)


def _normalizer_hash(normalizer) -> str:
    """Identifies the normalization code: the face module's source for the default one."""
    if normalizer is _normalize_one:
        return hashlib.sha256(Path(face.__file__).read_bytes()).hexdigest()[:8]
    return getattr(normalizer, "__name__", "custom")


class FaceDataset(Dataset):
    """Normalized faces with their grade and auxiliary labels.

    Items are ``(image, targets)``: image a float tensor (3, S, S) normalized with mean/std
    after the optional ``transform`` (applied to the uint8 tensor), targets a dict with
    "grade" and "aux:<name>" (-1 = unknown).
    """

    def __init__(
        self,
        records: Sequence[Record],
        *,
        size: int = INPUT_SIZE,
        margin: float = FACE_MARGIN,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        aux_vocab: dict[str, list[str]] | None = None,
        cache_dir: str | Path | None = None,
        normalizer: Callable[[Path, int, float], tuple[np.ndarray | None, str]] | None = None,
        transform: Callable[[Tensor], Tensor] | None = None,
        progress: bool = False,
        workers: int = 2,
    ) -> None:
        self.size, self.margin = size, margin
        self.mean, self.std = tuple(mean), tuple(std)
        self.transform = transform
        self.hash = data_hash(records)
        normalizer = normalizer or _normalize_one
        images, kept, failures = self._load(records, normalizer, cache_dir, progress, workers)
        self.images = images  # (N, S, S, 3) uint8
        self.records = [records[i] for i in kept]
        self.failures: list[tuple[Path, str]] = failures
        # Vocabulary of each auxiliary attribute: given (from a checkpoint) or from the data.
        if aux_vocab is None:
            names = sorted({k for r in records for k in r.attrs})
            aux_vocab = {n: sorted({r.attrs[n] for r in records if r.attrs.get(n)}) for n in names}
            aux_vocab = {n: v for n, v in aux_vocab.items() if len(v) >= 2}
        self.aux_vocab = aux_vocab
        self.grades = torch.tensor([r.grade for r in self.records], dtype=torch.long)
        self.aux_labels = {
            n: torch.tensor(
                [
                    vocab.index(r.attrs[n]) if r.attrs.get(n) in vocab else UNKNOWN
                    for r in self.records
                ],
                dtype=torch.long,
            )
            for n, vocab in aux_vocab.items()
        }

    def _load(self, records, normalizer, cache_dir, progress, workers):
        cache = None
        if cache_dir is not None:
            # Keyed by the data, the crop settings and the face code: a change to any of them
            # must not serve stale crops.
            key = (
                f"faces-v{CACHE_VERSION}-{self.hash}-{self.size}-{self.margin:g}-"
                f"{_normalizer_hash(normalizer)}.npz"
            )
            cache = Path(cache_dir) / key
            if cache.is_file():
                with np.load(cache, allow_pickle=False) as npz:
                    kept = npz["kept"].tolist()
                    codes = npz["codes"].tolist()
                    images = npz["images"]
                failed = sorted(set(range(len(records))) - set(kept))
                return images, kept, [(records[i].path, codes[i]) for i in failed]
        jobs = [(rec.path, self.size, self.margin) for rec in records]
        if workers > 1 and len(jobs) >= 32:
            # Face detection is single-threaded OpenCV work: spread it over the cores.
            # "spawn": forking after torch started its threads can deadlock the children.
            ctx = multiprocessing.get_context("spawn")
            pool = ctx.Pool(workers)
            results = pool.imap(_call_normalizer, [(normalizer, *job) for job in jobs], chunksize=8)
        else:
            pool = None
            results = (normalizer(*job) for job in jobs)
        if progress and sys.stderr.isatty():
            from tqdm import tqdm

            results = tqdm(results, total=len(jobs), desc="normalizing faces", unit="img")
        elif progress:
            # No bar in a log or a pipe: a line every few seconds instead.
            results = Progress("normalizing faces", len(jobs), _stderr, unit="images").wrap(results)
        images, kept, codes = [], [], []
        try:
            for i, (image, code) in enumerate(results):
                codes.append(code)
                if image is not None:
                    images.append(np.asarray(image, dtype=np.uint8))
                    kept.append(i)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
        stack = np.stack(images) if images else np.zeros((0, self.size, self.size, 3), np.uint8)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(cache.stem + ".tmp.npz")
            np.savez(tmp, images=stack, kept=np.array(kept, dtype=np.int64), codes=np.array(codes))
            tmp.replace(cache)
        failed = sorted(set(range(len(records))) - set(kept))
        return stack, kept, [(records[i].path, codes[i]) for i in failed]

    def __len__(self) -> int:
        return len(self.records)

    def raw(self, index: int) -> Tensor:
        """The normalized face as a uint8 tensor (3, S, S)."""
        return torch.from_numpy(self.images[index]).permute(2, 0, 1).contiguous()

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        image = self.raw(index)
        if self.transform is not None:
            image = self.transform(image)
        x = normalize(image, mean=self.mean, std=self.std)
        targets = {"grade": self.grades[index]}
        for name, labels in self.aux_labels.items():
            targets[f"aux:{name}"] = labels[index]
        return x, targets

    def group_of(self, index: int, column: str = "ethnicity") -> str:
        return self.records[index].attrs.get(column) or self.records[index].extra.get(column, "")

    def failure_summary(self) -> str:
        counts: dict[str, int] = {}
        for _, code in self.failures:
            counts[code] = counts.get(code, 0) + 1
        return ", ".join(f"{code}: {n}" for code, n in sorted(counts.items())) or "none"


class ManifestDataset(FaceDataset):
    def __init__(self, manifest: str | Path, *, aux_columns: Sequence[str] = DEFAULT_AUX, **kwargs):
        self.manifest = Path(manifest)
        records = read_manifest(manifest, aux_columns=aux_columns)
        kwargs.setdefault("cache_dir", self.manifest.parent / ".face-cache")
        super().__init__(records, **kwargs)


class Acne04Dataset(FaceDataset):
    def __init__(self, split_file: str | Path, image_dir: str | Path, **kwargs):
        records = read_acne04_split(split_file, image_dir)
        kwargs.setdefault("cache_dir", Path(image_dir) / ".face-cache")
        super().__init__(records, **kwargs)


def open_dataset(
    data: str | Path,
    *,
    contract: InputContract | None = None,
    images: str | Path | None = None,
    **kwargs,
) -> FaceDataset:
    """A manifest CSV, or an ACNE04 split file when ``images`` (the image folder) is given, its
    faces cut and normalized by ``contract`` (the model's; default: the engine's defaults)."""
    contract = contract or InputContract()
    kwargs.update(size=contract.size, margin=contract.margin, mean=contract.mean, std=contract.std)
    if images is not None:
        return Acne04Dataset(data, images, **kwargs)
    return ManifestDataset(data, **kwargs)


class ArrayDataset(Dataset):
    """Faces already normalized, held in memory: what a FaceDataset holds, built from arrays
    (mixed sources, e.g. real photographs and synthetic selfies, in one training set).

    ``groups``: a group name per image for the per-group report (e.g. the source or skin tone);
    ``aux``: per attribute, one label string per image ("" = unknown); ``densities``: per image
    its lesions' target density (lesion_training.density_target; NaN everywhere when its lesions
    are unknown), for an encoder that learns to count too.
    """

    def __init__(
        self,
        images: np.ndarray,
        grades: Sequence[int],
        *,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        groups: Sequence[str] | None = None,
        aux: dict[str, Sequence[str]] | None = None,
        aux_vocab: dict[str, list[str]] | None = None,
        data_hash: str = "",
        densities: np.ndarray | None = None,
    ) -> None:
        if len(images) != len(grades):
            raise ValueError("one grade per image")
        if densities is not None and len(densities) != len(images):
            raise ValueError("one lesion density per image")
        self.images = np.ascontiguousarray(images, dtype=np.uint8)
        self.size = int(self.images.shape[1]) if len(self.images) else 0
        self.mean, self.std = tuple(mean), tuple(std)
        self.grades = torch.tensor(list(grades), dtype=torch.long)
        self.groups = list(groups) if groups is not None else [""] * len(self.images)
        aux = dict(aux or {})
        if aux_vocab is None:
            aux_vocab = {n: sorted({v for v in values if v}) for n, values in aux.items()}
            aux_vocab = {n: v for n, v in aux_vocab.items() if len(v) >= 2}
        self.aux_vocab = aux_vocab
        self.aux_labels = {
            n: torch.tensor(
                [vocab.index(v) if v in vocab else UNKNOWN for v in aux.get(n, [""] * len(self))],
                dtype=torch.long,
            )
            for n, vocab in aux_vocab.items()
        }
        self.hash = data_hash
        self.failures: list[tuple[Path, str]] = []
        self.transform = None
        self.densities = (
            None
            if densities is None
            else torch.from_numpy(np.nan_to_num(np.asarray(densities, np.float32)))
        )
        self.counted = (
            None if densities is None else torch.from_numpy(~np.isnan(densities).any(axis=(1, 2)))
        )

    def __len__(self) -> int:
        return len(self.images)

    raw = FaceDataset.raw
    __getitem__ = FaceDataset.__getitem__

    def group_of(self, index: int, column: str = "ethnicity") -> str:
        return self.groups[index]
