"""mAP50 of the target classes by image condition (codec, IR night, night, hard negatives) on a
split of a generated data set, with the edge's detector code: where a detector loses accuracy
on the training domain. Choose recipes on the val split with it, never on held-out seeds.

    python scripts/val_by_condition.py MODEL.onnx runs/chain/data-1.3.0-20261207 --out x.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from streetorder.models import heldout as H

TARGETS = ("goods", "rack", "table", "stall")


def condition(meta: dict) -> dict[str, str]:
    r = meta.get("realism", {})
    lighting = meta.get("lighting", "")
    # Infrared: the scene lit by the camera's IR ("ir" lighting) or a night scene the camera's
    # IR-cut filter turned grey (realism's ir_night). Both give a grey, flat picture.
    infrared = lighting == "ir" or bool(r.get("ir_night"))
    return {
        "codec": "h264" if r.get("codec") == "h264" else "jpeg",
        "h264_qp>=40": str(r.get("codec") == "h264" and r.get("qp", 0) >= 40),
        "infrared": str(infrared),
        "night": str(lighting.startswith("night") or infrared),
        "hard_negatives": str(bool(meta.get("hard_negatives"))),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path)
    p.add_argument("data", type=Path, help="data set folder (images/, labels/, meta/)")
    p.add_argument("--split", default="val")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    from streetorder.edge.detect.onnx_detector import OnnxDetector

    meta_file = args.data / "meta" / f"{args.split}.jsonl"
    meta = {json.loads(x)["image"]: json.loads(x) for x in meta_file.read_text().splitlines()}
    det = OnnxDetector(args.model, threads=2, score_threshold=H.VAL_SCORE,
                       iou_threshold=H.VAL_NMS_IOU, max_det=H.VAL_MAX_DET)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:  # predict_folder reads images/test, labels/test
        view = Path(tmp)
        for sub in ("images", "labels"):
            (view / sub).mkdir()
            (view / sub / "test").symlink_to((args.data / sub / args.split).resolve())
        rows = H.predict_folder(det, view, 0)
    out: dict[str, dict] = {}
    for key in condition({}):
        groups: dict[str, list] = {}
        for r in rows:
            groups.setdefault(condition(meta[r["image"]])[key], []).append(r)
        out[key] = {
            g: {"images": len(rs)}
            | {k: round(v[0], 3) for k, v in H.ap_by_class(rs).items() if k in TARGETS}
            for g, rs in sorted(groups.items())
        }
        print(key, json.dumps(out[key]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
