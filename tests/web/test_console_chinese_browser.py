"""No English left in the Chinese console: real Chromium (zh-CN) over the main pages and the
error paths a person meets (a page for another role, an action on a page gone stale, a bad
upload), reading every visible text and every tooltip for a run of English words.

Data shown as it was entered (user names, camera codes, file names, digests, the model's class
names) may be Latin; sentences may not. A refusal carries its reason from the catalogue
(``streetorder/i18n/reasons.py``), so what the workflow or the upload check says reaches the
reader in their language, while the JSON API keeps its English sentence and stable code.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from streetorder.i18n import text
from streetorder.platform.db import Camera, Case
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.services import cases
from tests.web.browser_support import serve, wait_until
from tests.web.conftest import Console
from tests.web.seeding import PASSWORD, generate_month
from tests.web.test_console_browser import wait_panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: three or more English words in a row: a sentence (or most of one), not a name or a code
ENGLISH_RUN = re.compile(r"(?<![\w.@/-])[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}(?![\w.@/-])){2,}")
#: Latin runs that are data, not interface: the seeded users' names, the model's classes
DATA = re.compile(
    r"^(?:(?:reviewer|admin|officer|leader|squad|det|streetorder)(?:[ ,]+|$))+$", re.I
)
VISIBLE_TEXT = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
    for (const a of ['title', 'placeholder', 'aria-label']) {
      if (el.getAttribute(a)) texts.push(el.getAttribute(a));
    }
  }
  return texts.join('\\n');
}"""


def english_runs(page) -> list[str]:
    found = ENGLISH_RUN.findall(page.evaluate(VISIBLE_TEXT))
    return sorted({run for run in found if not DATA.match(run)})


def login(page, base: str, username: str) -> None:
    page.goto(base + "/console/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form.login button[type="submit"]')
    page.wait_for_load_state()


def test_the_chinese_console_shows_no_english_sentence_even_when_it_refuses(
    sqlite_console: Console, zh_page, tmp_path: Path
) -> None:
    env, page = sqlite_console, zh_page
    generate_month(
        env.db, env.state.store, env.state.rules, env.registry, end=env.clock.now, days=6,
        evidence_dir=tmp_path / "month",
    )  # fmt: skip
    with env.db.session() as s:
        by_state = {}
        for case in s.scalars(select(Case).order_by(Case.id)):
            by_state.setdefault(case.state, case.id)
        camera_id = s.scalars(select(Camera.id)).first()
    assert {"pending_review", "notified_dispatched", "rectified", "closed"} <= set(by_state)
    found: dict[str, list[str]] = {}

    def look(where: str) -> None:
        runs = english_runs(page)
        if runs:
            found[where] = runs

    with serve(env.app) as base:
        login(page, base, "reviewer")
        for path in ("/console/cases", "/console/cases?yellow=1", "/console/work-orders",
                     "/console/sms", "/console/dashboard"):  # fmt: skip
            page.goto(base + path)
            look(path)
            assert page.locator("h1").count() >= 1, path  # every list page says what it lists
        page.goto(base + "/console/cases")
        with env.db.session() as s:
            count = s.scalar(select(func.count()).select_from(Case))
        assert " ".join(page.text_content("h1").split()) == f"案件 {count}"
        for state, case_id in sorted(by_state.items()):
            page.goto(f"{base}/console/cases/{case_id}")
            look(f"case page ({state})")

        # the queue, and a confirm on an alert someone else confirmed meanwhile
        page.goto(base + "/console/queue")
        wait_until(page, "document.querySelector('.queue-item.selected') !== null")
        selected = int(page.get_attribute(".queue-item.selected", "data-case-id"))
        wait_panel(page, selected)
        look("/console/queue")
        with env.db.session() as s:
            reviewer = Actor(Role.REVIEWER, "reviewer", env.registry.users["reviewer"])
            cases.confirm(
                s, case_id=selected, actor=reviewer, rules=env.state.rules, now=env.clock.now
            )
        page.click("#confirm-button")
        page.click("#submit-confirm")
        wait_until(page, "!document.getElementById('toast').hidden")
        said = page.text_content("#toast")
        assert "不能确认" in said, said
        look("queue: confirm refused")

        # a case page gone stale: verified by the squad leader after it was opened
        rectified = by_state["rectified"]
        page.goto(f"{base}/console/cases/{rectified}")
        with env.db.session() as s:
            leader = Actor(Role.SQUAD_LEADER, "leader", env.registry.users["leader"],
                           squad_id=s.get(Case, rectified).squad_id)  # fmt: skip
            cases.verify(s, case_id=rectified, actor=leader, rules=env.state.rules,
                         now=env.clock.now + timedelta(minutes=1))  # fmt: skip
        page.click('button[data-event="verify"]')
        page.wait_for_load_state()
        assert "不能" in page.text_content(".flash.error, .error"), page.content()[:2000]
        look("case page: verify refused")

        # a page for another role
        page.goto(base + "/console/zones")
        assert text("error.not_for_role") in page.text_content("body")
        assert text("role.admin") in page.text_content("body")
        look("/console/zones as reviewer (403)")

        page.context.clear_cookies()
        login(page, base, "admin")
        for path in ("/console/zones", f"/console/zones/{camera_id}", "/console/models",
                     "/console/refused"):  # fmt: skip
            page.goto(base + path)
            look(f"{path} (admin)")
        # a bad upload: a text file as the model, with a manifest that does not describe it
        page.goto(base + "/console/models")
        bad_model, manifest = tmp_path / "model.onnx", tmp_path / "manifest.json"
        bad_model.write_bytes(b"not a model at all")
        manifest.write_text(json.dumps({"name": "det", "version": "v9", "sha256": "0" * 64,
                                        "classes": ["goods"], "imgsz": 640}))  # fmt: skip
        page.set_input_files('input[name="model"]', str(bad_model))
        page.set_input_files('input[name="manifest"]', str(manifest))
        page.click('#model-upload button[type="submit"]')
        page.wait_for_load_state()
        assert text("models.upload_failed", reason="")[:4] in page.text_content("body")
        look("/console/models: upload refused")
        # a manifest the check refuses: the check's own words, in Chinese
        manifest.write_text(json.dumps({"name": "det", "version": "v9", "imgsz": 640}))
        page.set_input_files('input[name="model"]', str(bad_model))
        page.set_input_files('input[name="manifest"]', str(manifest))
        page.click('#model-upload button[type="submit"]')
        page.wait_for_load_state()
        assert "manifest.json 无效:缺少字段 sha256, classes" in page.text_content("body")
        look("/console/models: manifest refused")
        assert found == {}

        # the same reading finds the English of a user who chose it (the check sees the text)
        page.click('#language-form button[value="en"]')
        page.wait_for_url(re.compile(r"done=language"))
        page.goto(base + "/console/zones")
        assert english_runs(page), page.evaluate(VISIBLE_TEXT)[:500]
