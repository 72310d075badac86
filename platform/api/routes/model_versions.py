"""Model versions (admin): upload a bundle, list, assign to a node or a canary camera, roll
back; edge nodes download the file assigned to them (docs/MODELS_ROLLOUT.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Response, UploadFile

from streetorder.contracts import encode
from streetorder.platform.api.deps import AdminUser, NowDep, SessionDep, StateDep, api_scope
from streetorder.platform.api.routes.nodes import publish_revision
from streetorder.platform.domain.errors import PayloadTooLarge
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.schemas.model_versions import (
    AssignmentIn,
    AssignmentPublic,
    ModelVersionPublic,
    NodeRolloutPublic,
    RollbackIn,
)
from streetorder.platform.services import model_rollout
from streetorder.platform.services import model_versions as svc

router = APIRouter(prefix="/models", tags=["model versions"])
NodeOrAdmin = Annotated[Actor, api_scope.roles(Role.EDGE_NODE, Role.ADMIN)]


def public(version) -> ModelVersionPublic:
    return ModelVersionPublic.model_validate(
        {
            **{
                k: getattr(version, k)
                for k in ModelVersionPublic.model_fields
                if k != "download_url"
            },
            "download_url": svc.download_path(version),
        }  # fmt: skip
    )


async def _read(upload: UploadFile, what: str) -> bytes:
    data = await upload.read(svc.MAX_MODEL_BYTES + 1)
    if len(data) > svc.MAX_MODEL_BYTES:
        raise PayloadTooLarge(f"{what}: larger than {svc.MAX_MODEL_BYTES // (1024 * 1024)} MB")
    return data


@router.get("", response_model=list[ModelVersionPublic], summary="Model versions, newest first")
def list_versions(session: SessionDep, actor: AdminUser) -> list[ModelVersionPublic]:
    return [public(v) for v in svc.list_versions(session)]


@router.post(
    "", response_model=ModelVersionPublic, status_code=201,
    summary="Upload a bundle: the ONNX file, its manifest.json and optionally eval.json",
    responses={200: {"description": "The same bundle was uploaded before."},
               409: {"description": "This name and version exist with another file."},
               413: {"description": "Larger than 100 MB."},
               422: {"description": "Not ONNX, or the manifest disagrees with the file "
                                    "(sha256, classes, input size)."}},
)  # fmt: skip
async def upload(
    response: Response, session: SessionDep, state: StateDep, actor: AdminUser, now: NowDep,
    model: Annotated[UploadFile, File(description="streetorder-det.onnx")],
    manifest: Annotated[UploadFile, File(description="manifest.json")],
    eval: Annotated[UploadFile | None, File(description="eval.json (card metrics)")] = None,
) -> ModelVersionPublic:  # fmt: skip
    version, created = svc.upload(
        session, state.store, model=await _read(model, "model file"),
        manifest=await _read(manifest, "manifest.json"),
        evaluation=await _read(eval, "eval.json") if eval is not None else None,
        actor=actor, now=now,
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return public(version)


@router.get("/rollout", response_model=list[NodeRolloutPublic], summary="Rollout per node, camera")
def rollout(session: SessionDep, actor: AdminUser) -> list[NodeRolloutPublic]:
    return [NodeRolloutPublic.model_validate(r) for r in svc.rollout(session)]


@router.get("/{version_id}", response_model=ModelVersionPublic)
def get_version(version_id: int, session: SessionDep, actor: AdminUser) -> ModelVersionPublic:
    return public(svc.get_version(session, version_id))


@router.get(
    "/{version_id}/file", summary="The ONNX file (edge nodes: only a version assigned to them)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)  # fmt: skip
def download(version_id: int, session: SessionDep, state: StateDep, actor: NodeOrAdmin) -> Response:
    version = svc.get_version(session, version_id)
    svc.check_download(session, actor=actor, version=version)
    data = state.store.get(version.storage_key)
    return Response(
        data, media_type="application/octet-stream",
        headers={"X-Content-Sha256": version.sha256,
                 "Content-Disposition": f'attachment; filename="{version.name}.onnx"'},
    )  # fmt: skip


def _published(
    state, tasks: BackgroundTasks, node: str, camera: str | None, version_id: int | None,
    record, push,
) -> AssignmentPublic:  # fmt: skip
    tasks.add_task(publish_revision, state, record.id, node, encode(push))
    return AssignmentPublic(
        node=node, camera=camera, version_id=version_id, config_revision=record.revision
    )


@router.post(
    "/assignments", response_model=AssignmentPublic,
    summary="Assign a version to a node or one camera (canary); pushes the node's config",
)  # fmt: skip
def assign(
    body: AssignmentIn, session: SessionDep, state: StateDep, actor: AdminUser, now: NowDep,
    tasks: BackgroundTasks,
) -> AssignmentPublic:  # fmt: skip
    record, push = model_rollout.assign(
        session, node_code=body.node, camera_code=body.camera, version_id=body.version_id,
        actor=actor, now=now,
    )  # fmt: skip
    return _published(state, tasks, body.node, body.camera, body.version_id, record, push)


@router.post(
    "/rollback", response_model=AssignmentPublic,
    summary="Assign the version the node or camera had before the current one",
)  # fmt: skip
def rollback(
    body: RollbackIn, session: SessionDep, state: StateDep, actor: AdminUser, now: NowDep,
    tasks: BackgroundTasks,
) -> AssignmentPublic:  # fmt: skip
    previous, record, push = model_rollout.rollback(
        session, node_code=body.node, camera_code=body.camera, actor=actor, now=now
    )
    return _published(state, tasks, body.node, body.camera, previous, record, push)
