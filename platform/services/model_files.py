"""Read what an uploaded detector bundle says about itself: the manifest, and the ONNX model's own
class names and input size (with the ``onnx`` package; nothing is run on the platform)."""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from streetorder.contracts.model_bundle import ManifestError, check_manifest
from streetorder.errors import StreetorderError
from streetorder.i18n import Reason
from streetorder.platform.domain.errors import InvalidInput

METRIC_KEYS = ("mAP50", "mAP50-95", "precision", "recall")


@dataclass(frozen=True)
class Bundle:
    """A checked upload: the manifest agrees with the bytes and with the model's metadata."""

    name: str
    version: str
    sha256: str
    size_bytes: int
    classes: list[str]
    imgsz: list[int]  # height, width
    manifest: dict[str, Any]
    metrics: dict[str, Any]


def read_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(Reason("model_upload.not_json", what=what, error=exc)) from None


def model_metadata(data: bytes) -> tuple[list[str], list[int]]:
    """(class names by id, [height, width] of the input) from the ONNX bytes."""
    import onnx

    try:
        model = onnx.load_model_from_string(data)
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx raises protobuf and checker errors of several types
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(Reason("model_upload.not_onnx", error=first)) from None
    meta = {p.key: p.value for p in model.metadata_props}
    try:
        names = ast.literal_eval(meta.get("names", "{}"))
    except (ValueError, SyntaxError):
        raise InvalidInput(Reason("model_upload.names_not_literal")) from None
    if not isinstance(names, dict) or not names:
        raise InvalidInput(Reason("model_upload.no_names"))
    inputs = list(model.graph.input)
    dims = inputs[0].type.tensor_type.shape.dim if len(inputs) == 1 else []
    if len(dims) != 4:
        raise InvalidInput(Reason("model_upload.not_nchw"))
    h, w = dims[2].dim_value, dims[3].dim_value
    if not (h and w):  # a dynamic input: the size the export was made for
        try:
            size = ast.literal_eval(meta.get("imgsz", "None"))
        except (ValueError, SyntaxError):
            size = None
        h, w = (size, size) if isinstance(size, int) else (size or (0, 0))
    if not (h and w):
        raise InvalidInput(Reason("model_upload.no_size"))
    return [str(names[k]) for k in sorted(names)], [int(h), int(w)]


def card_metrics(manifest: dict[str, Any], evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The card's figures: ``metrics`` in the manifest, else the evaluation's (``eval.json``)
    overall and per-class results; empty when neither says."""
    source = manifest.get("metrics") or evaluation or {}
    if not isinstance(source, dict):
        return {}
    overall = source.get("overall", source)
    out: dict[str, Any] = {
        k: overall[k] for k in METRIC_KEYS if isinstance(overall.get(k), int | float)
    }
    per_class = source.get("per_class")
    if isinstance(per_class, dict):
        out["per_class_mAP50"] = {
            str(c): v["mAP50"]
            for c, v in per_class.items()
            if isinstance(v, dict) and isinstance(v.get("mAP50"), int | float)
        }
    if isinstance(source.get("split"), str):
        out["split"] = source["split"]
    return out


def check_bundle(onnx_bytes: bytes, manifest_bytes: bytes, eval_bytes: bytes | None) -> Bundle:
    """Check an upload; raise InvalidInput saying what is wrong."""
    try:
        manifest = check_manifest(read_json(manifest_bytes, "manifest.json"), "manifest.json")
    except ManifestError as exc:  # said in the reader's words, one text per check
        raise InvalidInput(Reason(f"model_upload.manifest_{exc.code}", **exc.values)) from None
    except StreetorderError as exc:
        raise InvalidInput(Reason("model_upload.manifest", error=str(exc))) from None
    evaluation = read_json(eval_bytes, "eval.json") if eval_bytes else None
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    if manifest["sha256"] != digest:
        raise InvalidInput(
            Reason(
                "model_upload.sha_mismatch",
                declared=str(manifest["sha256"])[:16],
                actual=digest[:16],
            )  # fmt: skip
        )
    if "size_bytes" in manifest and manifest["size_bytes"] != len(onnx_bytes):
        raise InvalidInput(
            Reason(
                "model_upload.size_mismatch",
                declared=manifest["size_bytes"],
                actual=len(onnx_bytes),
            )  # fmt: skip
        )
    classes, imgsz = model_metadata(onnx_bytes)
    if manifest["classes"] != classes:
        raise InvalidInput(
            Reason("model_upload.classes_differ", declared=manifest["classes"], actual=classes)
        )
    declared = manifest["imgsz"]
    declared = [declared, declared] if isinstance(declared, int) else list(declared)
    if declared != imgsz:
        raise InvalidInput(Reason("model_upload.imgsz_differs", declared=declared, actual=imgsz))
    for key in ("name", "version"):
        if not isinstance(manifest[key], str) or not 0 < len(manifest[key]) <= 100:
            raise InvalidInput(Reason("model_upload.bad_text", key=key))
    return Bundle(
        name=manifest["name"], version=manifest["version"], sha256=digest,
        size_bytes=len(onnx_bytes), classes=classes, imgsz=imgsz, manifest=manifest,
        metrics=card_metrics(manifest, evaluation if isinstance(evaluation, dict) else None),
    )  # fmt: skip
