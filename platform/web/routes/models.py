"""模型版本 (admin): upload a bundle, see each version's card, assign it to a node or one camera
(canary), roll back, and follow the rollout per node and camera."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from streetorder.i18n import Reason, reason_text, translator
from streetorder.platform.domain.errors import DomainError, PayloadTooLarge
from streetorder.platform.services import model_rollout, model_versions
from streetorder.platform.services.model_files import METRIC_KEYS
from streetorder.platform.web import zone_sync
from streetorder.platform.web.auth import ADMIN, Viewer, require, require_csrf
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import Names, Translate, local

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Admin = Annotated[Viewer, Depends(require(*ADMIN))]


def _card(version, tz, names: Names) -> dict[str, Any]:
    metrics = version.metrics or {}
    uploader = names.of(None, version.uploaded_by)["name"]
    return {
        "id": version.id,
        "label": f"{version.name} {version.version}",
        "classes": ", ".join(version.classes),
        "imgsz": "×".join(str(v) for v in version.imgsz),
        "size_mb": f"{version.size_bytes / 1e6:.1f}",
        "sha256": version.sha256[:12],
        "metrics": [(k, metrics[k]) for k in METRIC_KEYS if k in metrics],
        "per_class": sorted((metrics.get("per_class_mAP50") or {}).items()),
        "uploaded": f"{local(version.uploaded_at, tz)} · {uploader}",
    }


@router.get("/models", response_class=HTMLResponse)
def model_page(request: Request, ctx: Ctx, viewer: Admin, notice: str = ""):
    with ctx.db.session() as session:
        listed = model_versions.list_versions(session)
        names = Names.load(session, usernames=[v.uploaded_by for v in listed])
        versions = [_card(v, ctx.tz, names) for v in listed]
        nodes = model_versions.rollout(session)
    return render(
        ctx, request, "models.html", viewer, nav="models", versions=versions, nodes=nodes,
        notice=notice[:300],
    )  # fmt: skip


def _back(ctx: ConsoleContext, *, notice: str = "", error: str = "") -> RedirectResponse:
    query = f"error={quote(error)}" if error else f"notice={quote(notice)}"
    return RedirectResponse(f"{ctx.prefix}/models?{query}", status_code=303)


async def _bytes(form, name: str, t: Translate, required: bool = True) -> bytes | None:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        if required:
            raise DomainError(t("models.missing_file", name=name))
        return None
    data = await upload.read(model_versions.MAX_MODEL_BYTES + 1)
    if len(data) > model_versions.MAX_MODEL_BYTES:
        raise PayloadTooLarge(
            Reason("model_upload.file_too_large", name=name, most=model_versions.MAX_MODEL_BYTES)
        )
    return data


@router.post("/models")
async def upload(request: Request, ctx: Ctx, viewer: Admin):
    await require_csrf(request, viewer)
    form = await request.form()
    t = translator(language_of(viewer))
    try:
        model, manifest = await _bytes(form, "model", t), await _bytes(form, "manifest", t)
        evaluation = await _bytes(form, "eval", t, required=False)
        assert model is not None and manifest is not None
        with ctx.db.session() as session:
            version, created = model_versions.upload(
                session, ctx.store, model=model, manifest=manifest, evaluation=evaluation,
                actor=viewer.actor, now=ctx.now(),
            )  # fmt: skip
            label = f"{version.name} {version.version}"
    except DomainError as exc:
        return _back(ctx, error=t("models.upload_failed", reason=reason_text(exc, t.language)))
    return _back(ctx, notice=t("models.uploaded" if created else "models.known", label=label))


@router.post("/models/assign")
async def assign(request: Request, ctx: Ctx, viewer: Admin):
    """Assign (or, with ``rollback``, roll back) a node or a camera; the push goes out at once."""
    await require_csrf(request, viewer)
    form = await request.form()
    node = str(form.get("node") or "")
    camera = str(form.get("camera") or "") or None
    chosen = str(form.get("version_id") or "")
    if chosen and not chosen.isdigit():
        t = translator(language_of(viewer))
        return _back(ctx, error=t("models.bad_version", value=chosen[:20]))
    try:
        with ctx.db.session() as session:
            if form.get("rollback"):
                _, record, push = model_rollout.rollback(
                    session, node_code=node, camera_code=camera, actor=viewer.actor,
                    now=ctx.now(),
                )  # fmt: skip
            else:
                record, push = model_rollout.assign(
                    session, node_code=node, camera_code=camera,
                    version_id=int(chosen) if chosen else None, actor=viewer.actor,
                    now=ctx.now(),
                )  # fmt: skip
            record_id = record.id
    except DomainError as exc:
        return _back(ctx, error=reason_text(exc, language_of(viewer)))
    zone_sync.publish(ctx, record_id, node, push)
    t = translator(language_of(viewer))
    if camera:
        return _back(ctx, notice=t("models.pushed_camera", camera=camera, revision=push.revision))
    return _back(ctx, notice=t("models.pushed_node", node=node, revision=push.revision))
