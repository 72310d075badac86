"""Untrained copies of the detector at other widths, exported as the edge runs the bundled one.

What a wider network would cost per frame does not depend on its weights, so the latency side of
"a bigger network?" can be measured before anyone trains one: this writes
``<out>/det-<width>.onnx`` for each width (the chain's YAML with only ``scales`` changed, random
weights, 416×256 input), to be timed with ``scripts/bench_model.py --model … --threads 2``.
Needs the ``train`` extra (Ultralytics). Model card, *Latency* of the training chain.

    .venv/bin/python scripts/make_width_variants.py --widths 0.21875 0.25 --out runs/widths
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "models" / "configs" / "streetorder-det.yaml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--widths", type=float, nargs="+", required=True)
    ap.add_argument("--imgsz", default="416x256", help="export input, WIDTHxHEIGHT")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    width_px, height_px = (int(v) for v in args.imgsz.lower().split("x"))

    from ultralytics import YOLO

    config = yaml.safe_load(ARCHITECTURE.read_text(encoding="utf-8"))
    depth, _, max_channels = config["scales"]["p"]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for width in args.widths:
            variant = dict(config, scales={"p": [depth, width, max_channels]})
            yaml_path = Path(tmp) / f"det-{width}.yaml"
            yaml_path.write_text(yaml.safe_dump(variant), encoding="utf-8")
            model = YOLO(str(yaml_path))
            params = sum(p.numel() for p in model.model.parameters())
            onnx = model.export(format="onnx", imgsz=(height_px, width_px), simplify=True, opset=17)
            target = args.out / f"det-{width}.onnx"
            shutil.move(onnx, target)
            print(f"width {width}: {params / 1e6:.2f} M parameters -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
