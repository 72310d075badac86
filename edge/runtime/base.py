"""What a node needs from its runtime: sources, pipelines, the model, where evidence lies.

The node (``edge/node.py``) runs whatever :class:`Runtime` a factory returns; the production
factory is ``edge/runtime/default.py``, tests and benches pass their own. Both sides import this
module, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from streetorder.contracts import Alert, ModelInfo
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.runtime.models import ModelSwitch
from streetorder.edge.runtime.worker import PipelineFactory, SourceFactory


@dataclass
class Runtime:
    """How cameras become frames and frames become alerts; replaceable for tests and benches.

    ``make_pipeline(camera)`` is called once per camera worker; ``evidence_path(alert, ref)``
    says where the pipeline wrote an evidence file; ``class_names`` (the model's classes after
    ``model.class_map``; ``model_classes``: before) let the node refuse to start, or refuse a
    config push, when a zone asks for a class the model does not report.
    """

    open_source: SourceFactory
    make_pipeline: PipelineFactory
    model: ModelInfo
    evidence_path: Callable[[Alert, str], Path]
    class_names: tuple[str, ...] = ()
    model_classes: tuple[str, ...] = ()
    close: Callable[[], None] = field(default=lambda: None)
    #: delivered model versions (``edge/runtime/models.py``); None: the runtime cannot switch
    models: ModelSwitch | None = None


RuntimeFactory = Callable[[EdgeNodeConfig, Path], Runtime]
