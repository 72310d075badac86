"""CI-sized run of the commands: synth a few images, train one epoch at 64 px, export, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from streetorder.cli import main
from streetorder.errors import StreetorderError
from streetorder.models.training import merged_data_yaml, read_data_yaml
from streetorder.vocabulary import CLASS_NAMES


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    args = ["models", "synth", "--out", str(out), "--train", "12", "--val", "6", "--test", "6"]
    assert main([*args, "--size", "320x180", "--workers", "1"]) == 0
    return out / "data.yaml"


def test_data_yaml_must_use_the_vocabulary(tmp_path: Path, tiny_data: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"path: {tiny_data.parent}\ntrain: images/train\nval: images/val\nnames: [a]\n")
    with pytest.raises(StreetorderError, match="names: must be the detector's classes"):
        read_data_yaml(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        f"path: {tmp_path}\ntrain: nowhere\nval: nowhere\nnames: {list(CLASS_NAMES)}\n"
    )
    with pytest.raises(StreetorderError, match="does not exist"):
        read_data_yaml(missing)


def test_extra_data_is_merged_into_every_split(tmp_path: Path, tiny_data: Path) -> None:
    import yaml

    other = tmp_path / "other"
    (other / "images" / "train").mkdir(parents=True)
    (other / "images" / "val").mkdir(parents=True)
    extra = other / "data.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    extra.write_text(f"path: {other}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    merged = yaml.safe_load(merged_data_yaml(tiny_data, [extra], tmp_path / "run").read_text())
    assert merged["train"] == [str(tiny_data.parent / "images/train"), str(other / "images/train")]
    assert merged["val"][-1] == str(other / "images/val")
    assert merged["test"] == [str(tiny_data.parent / "images/test")]


def test_data_repeat_lists_the_data_sets_train_images_n_times(
    tmp_path: Path, tiny_data: Path
) -> None:
    import yaml

    merged = yaml.safe_load(
        merged_data_yaml(tiny_data, [], tmp_path / "run", data_repeat=3).read_text()
    )
    [listing] = merged["train"]
    lines = Path(listing).read_text().splitlines()
    images = sorted(str(p) for p in (tiny_data.parent / "images/train").glob("*.jpg"))
    assert len(images) == 12 and lines == images * 3
    assert merged["val"] == [str(tiny_data.parent / "images/val")]
    with pytest.raises(StreetorderError, match="--data-repeat must be at least 1"):
        merged_data_yaml(tiny_data, [], tmp_path / "run", data_repeat=0)


@pytest.mark.train
@pytest.mark.slow
def test_train_export_eval_commands(tmp_path: Path, tiny_data: Path) -> None:
    pytest.importorskip("ultralytics")
    runs = tmp_path / "runs"
    train = ["models", "train", "--data", str(tiny_data), "--imgsz", "64", "--epochs", "1"]
    train += ["--batch", "4", "--workers", "0", "--project", str(runs), "--name", "smoke"]
    assert main(train) == 0
    weights = runs / "smoke" / "weights" / "best.pt"
    assert weights.is_file()
    bundle = tmp_path / "bundle"
    assert main(["models", "export", "--weights", str(weights), "--out", str(bundle)]) == 0
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["classes"] == list(CLASS_NAMES) and manifest["imgsz"] == 64
    assert manifest["training"]["seed"] == 20261122
    assert manifest["training"]["epochs_completed"] == 1
    assert "--imgsz 64" in manifest["training"]["command"]
    assert manifest["data"]["seed"] == 20261122 and manifest["data"]["counts"]["train"] == 12
    from streetorder.contracts.model_bundle import read_manifest
    from streetorder.models.export import sha256_file

    onnx = bundle / "streetorder-det.onnx"
    assert read_manifest(bundle / "manifest.json")["sha256"] == sha256_file(onnx)
    out = tmp_path / "eval"
    args = ["models", "eval", "--model", str(onnx), "--data", str(tiny_data), "--out", str(out)]
    assert main([*args, "--latency-runs", "20"]) == 0
    report = json.loads((out / "eval.json").read_text())
    assert report["split"] == "test" and report["images"] == 6
    assert 0.0 <= report["overall"]["mAP50"] <= 1.0
    assert list(report["per_class"]) == list(CLASS_NAMES)
    for row in report["per_class"].values():
        if row["instances"]:
            assert 0.0 <= row["mAP50-95"] <= row["mAP50"] <= 1.0
        else:
            assert row["mAP50"] is None
    assert report["latency_ms"]["threads"] == 2 and report["latency_ms"]["median"] > 0
    assert (out / "eval.png").stat().st_size > 1000
    assert (runs / "smoke" / "training-curve.png").stat().st_size > 1000
    assert (bundle / "training-curve.png").stat().st_size > 1000
    assert (bundle / "training-results.csv").read_text().startswith("epoch")

    wide = tmp_path / "wide"  # the same weights at a 16:9-friendly (height 64, width 96) input
    assert main(["models", "export", "--weights", str(weights), "--out", str(wide),
                 "--imgsz", "96x64"]) == 0  # fmt: skip
    assert json.loads((wide / "manifest.json").read_text())["imgsz"] == [64, 96]
    from streetorder.edge.detect.onnx_detector import OnnxDetector

    assert OnnxDetector(wide / "streetorder-det.onnx").imgsz == (64, 96)
    args = ["models", "eval", "--model", str(wide / "streetorder-det.onnx")]
    args += ["--data", str(tiny_data), "--out", str(tmp_path / "eval-wide")]
    assert main([*args, "--latency-runs", "5"]) == 0
    wide_report = json.loads((tmp_path / "eval-wide" / "eval.json").read_text())
    assert wide_report["latency_ms"]["input"] == [1, 3, 64, 96]


@pytest.mark.train
def test_the_cpu_trainer_uses_every_core_and_channels_last(tmp_path: Path, tiny_data: Path) -> None:
    pytest.importorskip("ultralytics")
    import os

    import torch

    from streetorder.models.cpu_trainer import CpuTrainer
    from streetorder.models.training import offline_environment

    offline_environment(tmp_path)
    torch.set_num_threads(1)
    config = Path(__file__).resolve().parents[2] / "models" / "configs" / "streetorder-det.yaml"
    overrides = {"model": str(config), "data": str(tiny_data),
                 "device": "cpu", "imgsz": 64, "project": str(tmp_path), "name": "t"}  # fmt: skip
    trainer = CpuTrainer(overrides=overrides)
    assert torch.get_num_threads() == os.cpu_count()  # Ultralytics alone sets cpu_count - 1
    trainer.setup_model()
    conv = next(m for m in trainer.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    batch = trainer.preprocess_batch({"img": torch.zeros(2, 3, 64, 64, dtype=torch.uint8)})
    assert batch["img"].is_contiguous(memory_format=torch.channels_last)
    assert batch["img"].dtype == torch.float32


def test_bf16_training_runs_autocast_on_the_cpu_and_is_recorded(
    tmp_path: Path, tiny_data: Path
) -> None:
    pytest.importorskip("ultralytics")
    import torch
    import yaml

    from streetorder.models import cpu_trainer
    from streetorder.models.export import train_command

    if not cpu_trainer.cpu_has_native_bf16():
        pytest.skip("this CPU has no native bfloat16")
    conv = torch.nn.Conv2d(3, 4, 3)
    with cpu_trainer._autocast(torch.bfloat16, device="cpu"):
        assert conv(torch.zeros(1, 3, 8, 8)).dtype == torch.bfloat16
    with cpu_trainer._autocast(False, device="cpu"):
        assert conv(torch.zeros(1, 3, 8, 8)).dtype == torch.float32
    common = ["--imgsz", "64", "--epochs", "1", "--batch", "4", "--workers", "0", "--bf16"]
    argv = ["models", "train", "--data", str(tiny_data), *common, "--project", str(tmp_path)]
    assert main([*argv, "--name", "bf"]) == 0
    assert (tmp_path / "bf" / "weights" / "best.pt").is_file()
    args = yaml.safe_load((tmp_path / "bf" / "args.yaml").read_text())
    assert args["amp"] == "bf16" and train_command(args).endswith("--bf16")
    assert "--bf16" not in train_command({**args, "amp": False})


def test_bf16_on_a_cpu_without_it_is_refused(
    tmp_path: Path, tiny_data: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    pytest.importorskip("ultralytics")
    from streetorder.models import cpu_trainer

    monkeypatch.setattr(cpu_trainer, "cpu_has_native_bf16", lambda: False)
    argv = ["models", "train", "--data", str(tiny_data), "--bf16", "--project", str(tmp_path)]
    assert main(argv) != 0
    assert "--bf16 needs a CPU with native bfloat16" in capsys.readouterr().err


def test_an_input_size_off_the_network_stride_is_refused(capsys) -> None:
    from streetorder.models.export import input_shape

    assert input_shape(320) == (320, 320) and input_shape([256, 416]) == (256, 416)
    with pytest.raises(StreetorderError, match="multiples of 32"):
        input_shape((250, 416))
    argv = ["models", "export", "--weights", "w.pt", "--imgsz", "416by256"]
    with pytest.raises(SystemExit):
        main(argv)
    assert "give a side (320) or WIDTHxHEIGHT" in capsys.readouterr().err


def test_a_continued_run_records_the_stage_it_started_from(tmp_path: Path, tiny_data: Path) -> None:
    pytest.importorskip("ultralytics")
    runs, bundle = tmp_path / "runs", tmp_path / "bundle"
    common = ["--imgsz", "64", "--epochs", "1", "--batch", "4", "--workers", "0"]
    common += ["--project", str(runs)]
    assert main(["models", "train", "--data", str(tiny_data), *common, "--name", "one"]) == 0
    first = runs / "one" / "weights" / "best.pt"
    assert main(["models", "export", "--weights", str(first), "--out", str(bundle)]) == 0
    stage1 = json.loads((bundle / "manifest.json").read_text())
    shutil.copyfile(first, bundle / "streetorder-det.pt")  # as the committed bundle keeps it

    more = ["--weights", str(bundle / "streetorder-det.pt"), "--name", "two"]
    assert main(["models", "train", "--data", str(tiny_data), *common, *more]) == 0
    second = runs / "two" / "weights" / "best.pt"
    assert main(["models", "export", "--weights", str(second), "--out", str(bundle)]) == 0
    training = json.loads((bundle / "manifest.json").read_text())["training"]
    assert f"--weights {bundle / 'streetorder-det.pt'}" in training["command"]
    assert "--model" not in training["command"]
    origin = training["started_from"]
    assert origin["version"] == stage1["version"]
    assert origin["command"] == stage1["training"]["command"]
    assert origin["started_from"] is None and stage1["training"]["started_from"] is None


def test_the_recorded_command_names_an_explicit_optimizer() -> None:
    from streetorder.models.export import train_command

    args = {"data": "d.yaml", "model": "m.yaml", "imgsz": 320, "epochs": 5, "batch": 16,
            "workers": 0, "seed": 1, "patience": 9, "close_mosaic": 2}  # fmt: skip
    assert "--optimizer" not in train_command({**args, "optimizer": "auto", "lr0": 0.01})
    explicit = train_command({**args, "optimizer": "AdamW", "lr0": 0.001})
    assert explicit.endswith("--optimizer AdamW --lr0 0.001")
    assert "--nbs" not in train_command({**args, "nbs": 64})
    assert train_command({**args, "nbs": 16}).endswith("--nbs 16")


def test_a_nominal_batch_below_one_is_refused(tmp_path: Path, tiny_data: Path, capsys) -> None:
    argv = ["models", "train", "--data", str(tiny_data), "--nbs", "0"]
    assert main([*argv, "--project", str(tmp_path)]) == 2
    assert "--nbs must be at least 1" in capsys.readouterr().err


def test_a_learning_rate_needs_an_explicit_optimizer(
    tmp_path: Path, tiny_data: Path, capsys
) -> None:
    argv = ["models", "train", "--data", str(tiny_data), "--lr0", "0.01"]
    assert main([*argv, "--project", str(tmp_path)]) == 2
    assert "--lr0 needs --optimizer" in capsys.readouterr().err


@pytest.mark.parametrize("sub", ["synth", "scenarios", "train", "export", "eval"])
def test_every_models_subcommand_has_help(sub: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main(["models", sub, "--help"])
    assert done.value.code == 0
    assert "--out" in capsys.readouterr().out or sub in ("train", "export")


def test_unknown_scenario_is_one_clear_error(tmp_path: Path, capsys) -> None:
    args = ["models", "scenarios", "--out", str(tmp_path), "--only", "no_such_scenario"]
    assert main([*args, "--quiet"]) == 2
    assert "no scenario 'no_such_scenario'" in capsys.readouterr().err
