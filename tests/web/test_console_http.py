"""The console over HTTP (no browser): sessions, CSRF, roles, queue order, verdicts, evidence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from streetorder.i18n import text
from streetorder.platform.db import Case, CaseEvent, SmsMessage, WorkOrder
from streetorder.platform.imaging.validate import clean_image
from streetorder.platform.security import hash_password
from tests.web.conftest import Console
from tests.web.seeding import PASSWORD, evidence_sets, ingest_with_evidence, make_alert

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/console/login")
    token = FORM_CSRF_RE.search(page.text)[1]
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token, "next": ""},
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/console/cases") -> str:
    return CSRF_RE.search(client.get(path).text)[1]


def add_alerts(env: Console, count: int, *, start_minutes: int = 0) -> list[int]:
    """``count`` pending cases discovered one minute apart, newest last; returns case ids."""
    sets = evidence_sets(min(count, 3))
    ids = []
    for i in range(count):
        crossed = env.clock.now - timedelta(minutes=start_minutes + count - i)
        shop = env.registry.shops[i % len(env.registry.shops)]
        alert, files = make_alert(
            sets[i % len(sets)], shop=shop, crossed_at=crossed, directory=env.evidence_tmp, n=i
        )
        ids.append(
            ingest_with_evidence(
                env.db, env.state.store, env.state.rules, alert, files, now=env.clock.now
            )  # fmt: skip
        )
    return ids


def test_login_sets_a_safe_cookie_and_wrong_password_is_refused(console: Console) -> None:
    client = TestClient(console.app)
    assert (
        client.get("/console/queue", follow_redirects=False)
        .headers["location"]
        .startswith("/console/login?next=/console/queue")
    )
    bad = login(client, "reviewer", "wrong-password")
    assert bad.status_code == 401 and text("login.wrong") in bad.text  # 用户名或密码错误
    ok = login(client, "reviewer")
    assert ok.status_code == 303 and ok.headers["location"] == "/console/queue"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    queue = client.get("/console/queue")
    assert queue.status_code == 200
    assert "script-src" not in queue.headers["content-security-policy"]  # default-src 'self'
    assert queue.headers["x-frame-options"] == "DENY"


def test_cookie_is_secure_over_tls(sqlite_console: Console) -> None:
    client = TestClient(sqlite_console.app, base_url="https://console.example")
    assert "Secure" in login(client, "reviewer").headers["set-cookie"]


def test_login_form_needs_its_csrf_token(sqlite_console: Console) -> None:
    client = TestClient(sqlite_console.app)
    client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 401 and text("login.expired") in response.text
    assert "so_session" not in client.cookies


def test_changing_the_password_ends_the_session(sqlite_console: Console) -> None:
    env = sqlite_console
    client = TestClient(env.app)
    login(client, "reviewer")
    assert client.get("/console/cases").status_code == 200
    with env.db.session() as s:
        from streetorder.platform.db import User

        user = s.scalars(select(User).filter_by(username="reviewer")).one()
        user.password_hash = hash_password("another-password", 4)
    assert client.get("/console/cases", follow_redirects=False).status_code == 303


def test_roles_limit_pages(sqlite_console: Console) -> None:
    client = TestClient(sqlite_console.app)
    login(client, "officer")
    refused = client.get("/console/queue")
    assert refused.status_code == 403 and "<h1>无权访问</h1>" in refused.text
    assert "此页面不对您的角色开放。" in refused.text
    assert "审核队列" not in client.get("/console/cases").text  # no link to a page not theirs
    assert client.get("/console/zones").status_code == 403
    assert client.get("/console/dashboard").status_code == 200
    assert client.get("/console/sms").status_code == 403
    assert client.get("/console/work-orders").status_code == 200
    client = TestClient(sqlite_console.app)
    login(client, "reviewer")
    assert client.get("/console/zones").status_code == 403


def test_queue_is_oldest_first_and_panel_shows_evidence(sqlite_console: Console) -> None:
    env = sqlite_console
    ids = add_alerts(env, 3)
    client = TestClient(env.app)
    login(client, "reviewer")
    page = client.get("/console/queue").text
    order = [int(x) for x in re.findall(r'data-case-id="(\d+)"', page)]
    assert order == ids  # ids were created oldest first
    panel = client.get(f"/console/queue/panel/{ids[0]}").text
    urls = re.findall(r'src="(/console/evidence/[^"]+)"', panel)
    assert any(u.endswith("_annotated.jpg") for u in urls)
    assert any(u.endswith("_clean.jpg") for u in urls)
    clip = next(u for u in urls if u.endswith("_clip.mp4"))
    full = client.get(clip)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    part = client.get(clip, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.content == full.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(full.content)}"


def test_confirm_needs_csrf_then_creates_sms_and_work_order(console: Console) -> None:
    env = console
    (case_id,) = add_alerts(env, 1)
    client = TestClient(env.app)
    login(client, "reviewer")
    url = f"/console/cases/{case_id}/review"
    refused = client.post(url, json={"verdict": "confirm"})
    assert refused.status_code == 403
    token = page_csrf(client, "/console/queue")
    cross = client.post(
        url,
        json={"verdict": "confirm"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    ok = client.post(url, json={"verdict": "confirm"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["state"] == "notified_dispatched" and body["track"] == "exempt"
    assert body["sms"] == [{"stage": "notice", "state": "queued"}]
    with env.db.session() as s:
        case = s.get(Case, case_id)
        assert case.state == "notified_dispatched"
        assert s.scalar(select(SmsMessage.id).filter_by(case_id=case_id)) is not None
        order = s.scalars(select(WorkOrder).filter_by(case_id=case_id)).one()
        assert order.deadline_at == case.rectify_deadline_at
        events = [e.event for e in s.scalars(select(CaseEvent).filter_by(case_id=case_id))]
        assert events[-2:] == ["confirm", "dispatch"]
        actor = s.scalars(select(CaseEvent).filter_by(case_id=case_id, event="confirm")).one()
        assert actor.actor_role == "reviewer" and actor.actor_id == env.registry.users["reviewer"]
    again = client.post(url, json={"verdict": "confirm"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409  # reviewed already: says where the case stands, in Chinese
    assert again.json()["detail"] == "案件当前环节为“已派遣,待处置”,不能确认违法。"
    case_page = client.get(f"/console/cases/{case_id}").text
    assert "请您24小时内责令商户改正违法行为" in case_page  # the work order's instructions
    assert 'class="sms-body"' in case_page and "365天内首次违法" in case_page


@pytest.mark.parametrize(
    ("reason", "status"), [("", 422), ("   ", 422), ("Goods in transit (delivery)", 200)]
)
def test_reject_requires_a_reason(sqlite_console: Console, reason: str, status: int) -> None:
    env = sqlite_console
    (case_id,) = add_alerts(env, 1)
    client = TestClient(env.app)
    login(client, "reviewer")
    token = page_csrf(client)
    response = client.post(
        f"/console/cases/{case_id}/review",
        json={"verdict": "reject", "reason": reason},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == status, response.text
    with env.db.session() as s:
        case = s.get(Case, case_id)
        assert case.state == ("rejected" if status == 200 else "pending_review")
        if status == 200:
            assert case.reject_reason == reason
            assert s.scalar(select(SmsMessage.id).filter_by(case_id=case_id)) is None


def test_case_page_buttons_go_through_the_workflow(sqlite_console: Console) -> None:
    env = sqlite_console
    (case_id,) = add_alerts(env, 1)
    client = TestClient(env.app)
    login(client, "reviewer")
    token = page_csrf(client)
    client.post(
        f"/console/cases/{case_id}/review",
        json={"verdict": "confirm"},
        headers={"X-CSRF-Token": token},
    )
    env.clock.advance(hours=30)
    page = client.get(f"/console/cases/{case_id}").text
    assert 'id="yellow-light"' in page and "1天6小时" in page  # handling time
    no_token = client.post(f"/console/cases/{case_id}/events/urge", data={"note": "x"})
    assert no_token.status_code == 403
    urged = client.post(
        f"/console/cases/{case_id}/events/urge",
        data={"csrf_token": token, "note": "please hurry"},
        follow_redirects=False,
    )
    assert urged.status_code == 303 and urged.headers["location"].endswith("?done=urge")
    closed = client.post(
        f"/console/cases/{case_id}/events/close",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert "error=" in closed.headers["location"]  # cannot close a dispatched case
    shown = client.get(closed.headers["location"]).text
    assert '<p class="flash error">案件当前环节为“已派遣,待处置”,不能结案。</p>' in shown
    with env.db.session() as s:
        assert s.get(Case, case_id).urge_count == 1


def test_officers_see_only_their_squads_cases_and_evidence(sqlite_console: Console) -> None:
    env = sqlite_console
    ids = add_alerts(env, 5)  # shops 000..003 are on the officer's street, 100 is not
    client = TestClient(env.app)
    login(client, "officer")
    with env.db.session() as s:
        own = [i for i in ids if s.get(Case, i).street.code == "st-lujiazui"]
        other = [i for i in ids if s.get(Case, i).street.code != "st-lujiazui"]
        other_alert = s.get(Case, other[0]).alert_id
    assert own and other
    assert client.get(f"/console/cases/{own[0]}").status_code == 200
    assert client.get(f"/console/cases/{other[0]}").status_code == 404
    listed = [int(x) for x in re.findall(r'href="/console/cases/(\d+)"', client.get(
        "/console/cases").text)]  # fmt: skip
    assert sorted(listed) == sorted(own)
    assert client.get(f"/console/evidence/{other_alert}/{other_alert}_clean.jpg").status_code == 404


def test_an_alert_for_an_unknown_shop_stays_in_the_queue(sqlite_console: Console) -> None:
    env = sqlite_console
    (ev,) = evidence_sets(1)
    alert, files = make_alert(
        ev, shop="shop-unregistered", crossed_at=env.clock.now, directory=env.evidence_tmp, n=0
    )
    case_id = ingest_with_evidence(
        env.db, env.state.store, env.state.rules, alert, files, now=env.clock.now
    )
    client = TestClient(env.app)
    login(client, "reviewer")
    response = client.post(
        f"/console/cases/{case_id}/review",
        json={"verdict": "confirm"},
        headers={"X-CSRF-Token": page_csrf(client)},
    )
    assert response.status_code == 409
    assert response.json()["state"] == "pending_review"
    assert "尚未登记" in response.json()["detail"]  # the refusal in the reviewer's language
    assert f'data-case-id="{case_id}"' in client.get("/console/queue").text


def test_logout_needs_the_token_and_ends_the_session(sqlite_console: Console) -> None:
    client = TestClient(sqlite_console.app)
    login(client, "reviewer")
    token = page_csrf(client)
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/console/cases").status_code == 200
    out = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and 'so_session=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/console/cases", follow_redirects=False).status_code == 303


def test_officer_photo_then_verify_and_close_from_the_case_page(sqlite_console: Console) -> None:
    from streetorder.platform.domain.roles import Actor, Role
    from streetorder.platform.services import cases, evidence

    env = sqlite_console
    (case_id,) = add_alerts(env, 1)  # shop-000, on the officer's street
    client = TestClient(env.app)
    login(client, "reviewer")
    token = page_csrf(client)
    client.post(
        f"/console/cases/{case_id}/review",
        json={"verdict": "confirm"},
        headers={"X-CSRF-Token": token},
    )
    env.clock.advance(hours=3)
    officer = Actor(
        Role.OFFICER, "officer", user_id=env.registry.users["officer"], squad_id=1
    )  # sq-lujiazui is the first squad
    photo = _jpeg()
    with env.db.session() as s:
        case = cases.get_case(s, case_id=case_id)
        record = evidence.attach_case_photo(
            s, store=env.state.store, case=case, actor=officer, filename="after.jpg",
            photo=clean_image(photo, evidence.PHOTO_POLICY), now=env.clock.now,
        )  # fmt: skip
        cases.rectify(s, case_id=case_id, actor=officer, rules=env.state.rules,
                      now=env.clock.now, photo_ids=[record.id])  # fmt: skip
    page = client.get(f"/console/cases/{case_id}").text
    (url,) = re.findall(r'<a href="(/console/files/\d+)">', page)
    assert client.get(url).content == env.state.store.get(record.storage_key)
    for event in ("verify", "close"):
        done = client.post(
            f"/console/cases/{case_id}/events/{event}",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert done.headers["location"].endswith(f"?done={event}"), done.headers["location"]
    page = client.get(f"/console/cases/{case_id}").text
    assert f'id="case-state">{text("state.closed")}<' in page
    # discovered 1 minute before the confirmation, closed 3 hours after it
    assert 'id="handling-time">3小时1分钟<' in page
    other = TestClient(env.app)
    login(other, "leader")  # same squad: sees it
    assert other.get(url).status_code == 200


def _jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(".jpg", np.full((60, 80, 3), 127, np.uint8))
    assert ok
    return buf.tobytes()


def test_case_page_names_people_by_display_name_and_records_keep_the_user_name(
    sqlite_console: Console,
) -> None:
    """Timeline and work order show who acted by display name (user name as a tooltip);
    the records keep the user name; an actor that is no user keeps its recorded name."""
    from streetorder.platform.db import LifecycleEvent, User
    from streetorder.platform.domain.roles import Actor, Role
    from streetorder.platform.services import work_orders

    env = sqlite_console
    users = env.registry.users
    with env.db.session() as s:
        s.get(User, users["reviewer"]).display_name = "陈静"
        s.get(User, users["officer"]).display_name = "王建国"
    (case_id,) = add_alerts(env, 1)
    client = TestClient(env.app)
    login(client, "reviewer")
    token = page_csrf(client)
    confirmed = client.post(
        f"/console/cases/{case_id}/review", json={"verdict": "confirm"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    officer = Actor(Role.OFFICER, "officer", user_id=users["officer"], squad_id=1)
    with env.db.session() as s:
        order = s.scalars(select(WorkOrder).filter_by(case_id=case_id)).one()
        work_orders.acknowledge(s, work_order_id=order.id, actor=officer, now=env.clock.now)
    with env.db.session() as s:  # the records keep the user name, whoever recorded them
        confirm = s.scalars(select(CaseEvent).filter_by(case_id=case_id, event="confirm")).one()
        assert confirm.actor_name == "reviewer"
        ack = s.scalars(select(LifecycleEvent).filter_by(event="acknowledge")).one()
        assert ack.actor_name == "officer"
        others = {e.actor_name for e in s.scalars(select(CaseEvent).filter_by(case_id=case_id))}
    page = client.get(f"/console/cases/{case_id}").text
    timeline = page.split('id="timeline">')[1].split("</ol>")[0]
    orders = page.split('id="work-orders">')[1].split("</section>")[0]
    reviewer = '<span class="person" title="用户名 reviewer" data-login="reviewer">陈静</span>'
    officer_shown = '<span class="person" title="用户名 officer" data-login="officer">王建国</span>'
    assert reviewer in timeline
    assert f'<dd class="order-officer">{officer_shown}</dd>' in orders
    acknowledged = orders.split('data-event="acknowledge"')[1].split("</li>")[0]
    assert officer_shown in acknowledged
    visible = re.sub(r"<[^>]+>", " ", timeline + orders)  # the text, without tags and tooltips
    assert "陈静" in visible and "王建国" in visible
    assert not re.search(r"\b(reviewer|officer)\b", visible), visible
    listed = client.get("/console/work-orders").text.split('id="work-order-list">')[1]
    assert f'<td class="order-officer">{officer_shown}</td>' in listed  # the squads' list too
    assert others - {"reviewer"}  # the discovery, the dispatch
    for name in others - {"reviewer"}:  # e.g. system: not a user, shown as recorded
        assert f'<span class="person">{name}</span>' in timeline
