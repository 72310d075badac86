"""Maps the top-level part folders into the one installed ``streetorder`` namespace.

``edge/`` → ``streetorder.edge``, ``platform/`` → ``streetorder.platform`` and so on. The
``platform/`` folder has no ``__init__.py`` so that ``import platform`` from the checkout root
keeps finding the standard library; it installs as a namespace sub-package.
"""

from setuptools import find_namespace_packages, setup

PARTS = ("edge", "models", "platform", "mobile_api")
DATA = ["*.onnx", "*.json", "*.yaml", "*.html", "*.js", "*.css", "*.ini", "*.mako", "*.png", "*.md"]

packages = ["streetorder", *(f"streetorder.{p}" for p in find_namespace_packages("streetorder"))]
package_dir = {"streetorder": "streetorder"}
for part in PARTS:
    package_dir[f"streetorder.{part}"] = part
    packages.append(f"streetorder.{part}")
    packages += [
        f"streetorder.{part}.{sub}"
        for sub in find_namespace_packages(part, exclude=["*__pycache__*"])
    ]

setup(packages=packages, package_dir=package_dir, package_data={"": DATA})
