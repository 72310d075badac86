"""Edge nodes, their cameras and frontage zones; every edit becomes a pushed config revision."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Response

from streetorder.contracts import encode, topics
from streetorder.platform.api.deps import AdminUser, NowDep, SessionDep, StaffUser, StateDep
from streetorder.platform.api.state import PlatformState
from streetorder.platform.schemas.registry import (
    CameraCreate,
    CameraPublic,
    CameraUpdate,
    ConfigPushPublic,
    EdgeNodeCreate,
    EdgeNodePublic,
    IgnoreRegionPublic,
    ImportReport,
    SceneReferenceIn,
    SceneReferencePublic,
    ZoneCreate,
    ZonePublic,
    ZoneUpdate,
)
from streetorder.platform.services import edge_config, ignore_regions, scene_reference
from streetorder.platform.services import registry as svc

log = logging.getLogger(__name__)
router = APIRouter(prefix="/nodes", tags=["edge nodes"])
zones_router = APIRouter(prefix="/zones", tags=["edge nodes"])
CsvBody = Annotated[str, Body(media_type="text/csv", description="UTF-8 CSV with a header row.")]


def publish_revision(state: PlatformState, record_id: int, node_code: str, payload: bytes) -> None:
    """After commit: publish the retained config; the record says whether it went out."""
    if state.publisher is None:
        return
    try:
        ok = state.publisher.publish(topics.config(node_code), payload, qos=1, retain=True)
    except Exception:  # noqa: BLE001 - a broker problem must not fail the edit
        log.exception("config push to %s failed", node_code)
        return
    if ok:
        with state.db.session() as session:
            edge_config.mark_published(session, record_id=record_id)


def publish_pending(state: PlatformState) -> None:
    """After commit: publish each node's newest revision that has not gone out yet (e.g. the
    ignore regions a rejection added)."""
    with state.db.session() as session:
        pending = edge_config.unpublished(session)
    for record_id, node_code, push in pending:
        publish_revision(state, record_id, node_code, encode(push))


def _push(session, state: PlatformState, tasks: BackgroundTasks, node_code: str, now) -> None:
    record, push = edge_config.new_revision(session, node_code=node_code, now=now)
    tasks.add_task(publish_revision, state, record.id, node_code, encode(push))


@router.get("", response_model=list[EdgeNodePublic])
def list_nodes(session: SessionDep, actor: StaffUser) -> list[EdgeNodePublic]:
    return [EdgeNodePublic.model_validate(n) for n in svc.list_nodes(session)]


@router.post("", response_model=EdgeNodePublic, status_code=201)
def create_node(body: EdgeNodeCreate, session: SessionDep, actor: AdminUser) -> EdgeNodePublic:
    return EdgeNodePublic.model_validate(svc.create_node(session, data=body))


@router.get("/{node_code}", response_model=EdgeNodePublic)
def get_node(node_code: str, session: SessionDep, actor: StaffUser) -> EdgeNodePublic:
    return EdgeNodePublic.model_validate(svc.get_node(session, code=node_code))


@router.get("/{node_code}/cameras", response_model=list[CameraPublic])
def list_cameras(node_code: str, session: SessionDep, actor: StaffUser) -> list[CameraPublic]:
    return [CameraPublic.model_validate(c) for c in svc.list_cameras(session, node_code=node_code)]


@router.post("/{node_code}/cameras", response_model=CameraPublic, status_code=201)
def create_camera(
    node_code: str, body: CameraCreate, session: SessionDep, actor: AdminUser, state: StateDep,
    tasks: BackgroundTasks, now: NowDep,
) -> CameraPublic:  # fmt: skip
    camera = svc.create_camera(session, node_code=node_code, data=body)
    _push(session, state, tasks, node_code, now)
    return CameraPublic.model_validate(camera)


@router.patch("/{node_code}/cameras/{camera_code}", response_model=CameraPublic)
def update_camera(
    node_code: str, camera_code: str, body: CameraUpdate, session: SessionDep, actor: AdminUser,
    state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> CameraPublic:  # fmt: skip
    camera = svc.update_camera(session, node_code=node_code, camera_code=camera_code, data=body)
    _push(session, state, tasks, node_code, now)
    return CameraPublic.model_validate(camera)


@router.get("/{node_code}/cameras/{camera_code}/zones", response_model=list[ZonePublic])
def list_zones(
    node_code: str, camera_code: str, session: SessionDep, actor: StaffUser
) -> list[ZonePublic]:
    camera = svc.get_camera(session, node_code=node_code, camera_code=camera_code)
    return [ZonePublic.model_validate(z) for z in camera.zones]


@router.post("/{node_code}/cameras/{camera_code}/zones", response_model=ZonePublic, status_code=201)
def create_zone(
    node_code: str, camera_code: str, body: ZoneCreate, session: SessionDep, actor: AdminUser,
    state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> ZonePublic:  # fmt: skip
    zone = svc.create_zone(session, node_code=node_code, camera_code=camera_code, data=body)
    _push(session, state, tasks, node_code, now)
    return ZonePublic.model_validate(zone)


@router.patch("/{node_code}/cameras/{camera_code}/zones/{zone_code}", response_model=ZonePublic)
def update_zone(
    node_code: str, camera_code: str, zone_code: str, body: ZoneUpdate, session: SessionDep,
    actor: AdminUser, state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> ZonePublic:  # fmt: skip
    zone = svc.update_zone(
        session, node_code=node_code, camera_code=camera_code, zone_code=zone_code, data=body
    )
    _push(session, state, tasks, node_code, now)
    return ZonePublic.model_validate(zone)


@router.delete("/{node_code}/cameras/{camera_code}/zones/{zone_code}", status_code=204)
def delete_zone(
    node_code: str, camera_code: str, zone_code: str, session: SessionDep, actor: AdminUser,
    state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> Response:  # fmt: skip
    svc.delete_zone(session, node_code=node_code, camera_code=camera_code, zone_code=zone_code)
    _push(session, state, tasks, node_code, now)
    return Response(status_code=204)


@router.get(
    "/{node_code}/cameras/{camera_code}/ignore-regions", response_model=list[IgnoreRegionPublic],
    summary="Regions whose detections the node drops (reviewers' fixed structures)",
)  # fmt: skip
def list_ignore_regions(
    node_code: str, camera_code: str, session: SessionDep, actor: StaffUser,
    include_removed: bool = False,
) -> list[IgnoreRegionPublic]:  # fmt: skip
    camera = svc.get_camera(session, node_code=node_code, camera_code=camera_code)
    regions = camera.ignore_regions if include_removed else ignore_regions.active(camera)
    return [IgnoreRegionPublic.model_validate(r) for r in regions]


@router.delete("/{node_code}/cameras/{camera_code}/ignore-regions/{code}", status_code=204)
def remove_ignore_region(
    node_code: str, camera_code: str, code: str, session: SessionDep, actor: AdminUser,
    state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> Response:  # fmt: skip
    camera = svc.get_camera(session, node_code=node_code, camera_code=camera_code)
    ignore_regions.remove(session, camera=camera, code=code, actor=actor, now=now)
    tasks.add_task(publish_pending, state)
    return Response(status_code=204)


def _reference(camera) -> SceneReferencePublic:
    return SceneReferencePublic(
        at=camera.reference_at, image=camera.reference_image, set_by=camera.reference_set_by,
        set_at=camera.reference_set_at,
    )  # fmt: skip


@router.get(
    "/{node_code}/cameras/{camera_code}/reference", response_model=SceneReferencePublic,
    summary="The camera's explicit scene reference request",
)  # fmt: skip
def get_reference(
    node_code: str, camera_code: str, session: SessionDep, actor: StaffUser
) -> SceneReferencePublic:
    return _reference(svc.get_camera(session, node_code=node_code, camera_code=camera_code))


@router.put(
    "/{node_code}/cameras/{camera_code}/reference", response_model=SceneReferencePublic,
    summary="Set the scene reference (a moment or a node file); pushes the config",
)  # fmt: skip
def set_reference(
    node_code: str, camera_code: str, body: SceneReferenceIn, session: SessionDep,
    actor: AdminUser, state: StateDep, tasks: BackgroundTasks, now: NowDep,
) -> SceneReferencePublic:  # fmt: skip
    camera = svc.get_camera(session, node_code=node_code, camera_code=camera_code)
    scene_reference.request(
        session, camera=camera, actor=actor, now=now, at=body.at, image=body.image
    )
    tasks.add_task(publish_pending, state)
    return _reference(camera)


@router.delete("/{node_code}/cameras/{camera_code}/reference", status_code=204)
def clear_reference(
    node_code: str, camera_code: str, session: SessionDep, actor: AdminUser, state: StateDep,
    tasks: BackgroundTasks, now: NowDep,
) -> Response:  # fmt: skip
    camera = svc.get_camera(session, node_code=node_code, camera_code=camera_code)
    scene_reference.clear(session, camera=camera, actor=actor, now=now)
    tasks.add_task(publish_pending, state)
    return Response(status_code=204)


@router.post("/{node_code}/config/push", response_model=ConfigPushPublic, summary="Push config now")
def push_config(
    node_code: str, session: SessionDep, actor: AdminUser, state: StateDep, tasks: BackgroundTasks,
    now: NowDep,
) -> ConfigPushPublic:  # fmt: skip
    record, push = edge_config.new_revision(session, node_code=node_code, now=now)
    tasks.add_task(publish_revision, state, record.id, node_code, encode(push))
    return ConfigPushPublic.model_validate(record)


@router.get("/{node_code}/config", response_model=list[ConfigPushPublic], summary="Pushes and acks")
def config_history(node_code: str, session: SessionDep, actor: StaffUser) -> list[ConfigPushPublic]:
    return [
        ConfigPushPublic.model_validate(r)
        for r in edge_config.history(session, node_code=node_code)
    ]


@zones_router.post("/import", response_model=ImportReport, summary="Create/update zones from CSV")
def import_zones(
    body: CsvBody, session: SessionDep, actor: AdminUser, state: StateDep, tasks: BackgroundTasks,
    now: NowDep,
) -> ImportReport:  # fmt: skip
    report = svc.import_zones_csv(session, text=body)
    for node_code in sorted(svc.nodes_in_csv(session, text=body)):
        _push(session, state, tasks, node_code, now)
    return report
