"""The layout the product design fixes, and the stdlib ``platform`` module never shadowed."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()

PROBE = (
    "import platform, streetorder.platform as ours, sys; "
    "print(platform.__file__); print(list(ours.__path__)[0]); print(platform.python_version())"
)


@pytest.mark.parametrize(
    "entry",
    [
        "edge",
        "models",
        "platform",
        "mobile_api",
        "tests",
        "scripts",
        "docs",
        "streetorder",
        "pyproject.toml",
        "README.md",
        ".ci/run",
    ],
)
def test_top_level_entry_exists(entry: str) -> None:
    assert (REPO / entry).exists(), f"{entry} is part of the fixed layout"


def test_platform_folder_is_not_a_regular_package() -> None:
    assert not (REPO / "platform" / "__init__.py").exists(), (
        "platform/__init__.py would make `import platform` load our folder from the repo root"
    )


@pytest.mark.parametrize("cwd", [REPO, REPO / "platform", REPO / "tests", Path("/")])
def test_import_platform_is_stdlib_from_anywhere(cwd: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert Path(out[0]).resolve().parent == STDLIB
    assert Path(out[1]).name == "platform"
    assert out[2].startswith("3.11")


def test_import_platform_is_stdlib_inside_pytest() -> None:
    import platform

    assert Path(platform.__file__).resolve().parent == STDLIB
    assert callable(platform.system)


def test_import_platform_is_stdlib_when_installed(tmp_path: Path) -> None:
    """A wheel installed into a fresh target: stdlib platform and our part side by side."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(wheel_dir.glob("streetorder-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    assert (target / "streetorder" / "edge" / "__init__.py").is_file()
    assert (target / "streetorder" / "platform").is_dir()
    env = {"PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(out[0]).resolve().parent == STDLIB
    assert Path(out[1]).resolve().is_relative_to(target.resolve())


def test_tests_platform_folder_does_not_shadow_stdlib() -> None:
    assert not (REPO / "tests" / "platform" / "__init__.py").exists()
