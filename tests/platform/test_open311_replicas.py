"""Open311 with several platform replicas on one database, served by uvicorn: simultaneous
reports about one shop open one case, and the anonymous limit counts every replica's posts,
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from sqlalchemy import func, select

from streetorder.platform.db import Case, CitizenReport, Database, Open311RateLimit
from streetorder.platform.open311.ratelimit import slide
from streetorder.server import create_app
from tests.platform.conftest import Platform
from tests.platform.open311_support import hotline_key, photo, report_fields, shop_position
from tests.web.browser_support import serve


@contextmanager
def replicas(platform: Platform, count: int, **settings_update) -> Iterator[list[str]]:
    """``count`` apps, each with its own engine (as separate processes would have), on the
    platform's database; yields their base URLs."""
    settings = platform.settings.model_copy(update=settings_update)
    with ExitStack() as stack:
        urls = []
        for _ in range(count):
            db = Database(platform.settings.database_url)
            stack.callback(db.dispose)
            app = create_app(settings, db=db, clock=platform.clock)
            urls.append(stack.enter_context(serve(app)))
        yield urls


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in out:
        assert isinstance(result, httpx.Response), result
    return out  # type: ignore[return-value]


def test_simultaneous_reports_about_one_shop_open_one_case(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-002")
    upload = photo()
    posts = 12
    anonymous = platform.settings.open311.anonymous.posts - 1
    with replicas(platform, 2) as urls:

        def post(i: int) -> Callable[[], httpx.Response]:
            fields = report_fields(lat + 0.00001 * (i % 3), long, description=f"第{i}位市民")
            url = f"{urls[i % 2]}/open311/v2/requests.json"
            files = [("media", ("p.jpg", upload, "image/jpeg"))]
            return lambda: httpx.post(url, data=fields, files=files, timeout=60)

        key = hotline_key(platform)  # anonymous posts from one address are limited

        def trusted(i: int) -> Callable[[], httpx.Response]:
            fields = report_fields(lat, long, description=f"热线第{i}件", api_key=key)
            url = f"{urls[i % 2]}/open311/v2/requests.json"
            return lambda: httpx.post(url, data=fields, timeout=60)

        responses = at_once([post(i) if i < anonymous else trusted(i) for i in range(posts)])
    assert [r.status_code for r in responses] == [201] * posts, [r.text for r in responses]
    with platform.db.session() as session:
        case_ids = session.scalars(select(CitizenReport.case_id)).all()
        joined = session.scalar(select(func.count()).where(CitizenReport.joined_open_case))
        cases = session.scalars(select(Case).filter_by(shop_id="shop-002")).all()
    assert len(case_ids) == posts and len(set(case_ids)) == 1
    assert len(cases) == 1 and joined == posts - 1
    notices = [r.json()[0]["service_notice"] for r in responses]
    assert sum(1 for n in notices if n) == posts - 1


def test_the_anonymous_limit_is_shared_by_the_replicas(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-001")
    limit = {"posts": 3, "window_seconds": 600}
    anonymous = platform.settings.open311.anonymous.model_copy(update=limit)
    open311 = platform.settings.open311.model_copy(update={"anonymous": anonymous})
    with replicas(platform, 2, open311=open311) as urls:

        def post(i: int) -> Callable[[], httpx.Response]:
            url = f"{urls[i % 2]}/open311/v2/requests.json"
            fields = report_fields(lat, long, description=f"第{i}条")
            return lambda: httpx.post(url, data=fields, timeout=60)

        # ten at once from one address, five on each replica: three pass in all, not six
        flood = at_once([post(i) for i in range(10)])
        statuses = sorted(r.status_code for r in flood)
        assert statuses == [201] * 3 + [429] * 7, [r.text for r in flood]
        refused = next(r for r in flood if r.status_code == 429)
        assert refused.json()[0]["code"] == 429 and int(refused.headers["Retry-After"]) > 0
        # one after another: both replicas go on refusing, and the XML error list too
        for i in range(4):
            r = post(i)()
            assert r.status_code == 429, r.text
        r = httpx.post(f"{urls[1]}/open311/v2/requests.xml", data=report_fields(lat, long))
        assert r.status_code == 429 and "<errors><error><code>429</code>" in r.text
        platform.clock.advance(minutes=11)  # the window has passed, for every replica
        assert [post(i)().status_code for i in range(4)] == [201, 201, 201, 429]
    with platform.db.session() as session:
        (row,) = session.scalars(select(Open311RateLimit)).all()
        reports = session.scalar(select(func.count()).select_from(CitizenReport))
    assert reports == 6
    assert "127.0.0.1" not in row.key and len(row.key) == 64  # a keyed hash, not the address
    assert len(row.hits) <= 2 * limit["posts"]


@pytest.mark.parametrize(
    ("hits", "now", "kept", "wait"),
    [
        ([], 100.0, [100.0], None),
        ([10.0, 20.0], 100.0, [10.0, 20.0, 100.0], None),
        ([10.0, 20.0, 30.0], 100.0, [10.0, 20.0, 30.0, 100.0], 510),
        ([10.0, 20.0, 30.0], 615.0, [20.0, 30.0, 615.0], None),  # 10 + 600 left the window
        ([float(t) for t in range(90, 96)], 100.0, [float(t) for t in range(90, 96)], 590),
    ],
)
def test_the_window_slides(hits, now, kept, wait) -> None:
    assert slide(hits, now, limit=3, window=600) == (kept, wait)
