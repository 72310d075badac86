"""The one message catalogue: both languages for every key, the same placeholders in both, and
every key that a template, a page script or the code asks for exists (read from the sources)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest
from jinja2 import Environment, nodes

from streetorder.i18n import CATALOGUE, LANGUAGES, duration, seconds_text, text
from streetorder.i18n.catalogue import Catalogue, Msg, merge, normalise_language, placeholders

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "platform" / "web" / "templates"
STATIC = REPO / "platform" / "web" / "static"
#: Code whose literal keys are checked: calls ``t("key")``, ``text("key")``, ``Reason("key")``.
CODE = [
    REPO / "platform" / "web",
    REPO / "platform" / "sms",
    REPO / "platform" / "services",
    REPO / "platform" / "domain",
    REPO / "platform" / "imaging",
    REPO / "mobile_api",
]
#: Words a template may show outside the catalogue (names, formats, keys on the keyboard).
ALLOWED_WORDS = {"streetorder", "JSON", "Enter", "Esc", "Delete", "CNY"}


def template_calls() -> list[tuple[str, str]]:
    """(template, key) of every ``t("key")`` and every key listed in ``script_texts(t, [...])``."""
    env = Environment()
    found = []
    for path in sorted(TEMPLATES.glob("*.html")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            name = getattr(call.node, "name", None)
            if name == "t" and call.args and isinstance(call.args[0], nodes.Const):
                found.append((path.name, call.args[0].value))
            if name == "script_texts":
                found += [(path.name, item.value) for item in call.args[1].items]
    return found


def script_keys(path: Path) -> set[str]:
    return set(re.findall(r'\bT\(\s*"([a-z0-9_]+\.[a-z0-9_]+)"', path.read_text(encoding="utf-8")))


def code_keys() -> list[tuple[str, str]]:
    found = []
    for folder in CODE:
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                is_key = isinstance(first, ast.Constant) and re.fullmatch(
                    r"[a-z0-9_]+\.[a-z0-9_{}]+", str(first.value)
                )  # not SQL text("SELECT 1")
                if name in ("t", "text", "Reason") and is_key:
                    found.append((path.name, first.value))
    return found


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    assert LANGUAGES == ("zh-CN", "en")
    for key, msg in CATALOGUE.messages.items():
        assert msg.zh.strip() and msg.en.strip(), key
        assert placeholders(msg.zh) == placeholders(msg.en), key
        assert re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", key), key


def test_every_key_a_template_uses_exists() -> None:
    calls = template_calls()
    assert len(calls) > 200  # the walker really finds the templates' calls
    missing = [f"{name}: {key}" for name, key in calls if key not in CATALOGUE]
    assert missing == []


def test_every_key_a_page_script_uses_exists_and_is_sent_by_its_page() -> None:
    listed = {}
    for name, key in template_calls():
        listed.setdefault(name, set()).add(key)
    pages = {"queue.js": "queue.html", "zones.js": "zone_editor.html"}
    for script, page in pages.items():
        keys = script_keys(STATIC / script)
        assert keys, script
        assert keys - set(CATALOGUE.messages) == set(), script
        sent = {k for k in listed[page] if k.startswith(("queue.", "editor."))}
        assert keys <= sent, f"{script} asks for texts {page} does not send: {keys - sent}"


def test_every_key_the_code_asks_for_exists() -> None:
    keys = code_keys()
    assert len(keys) > 30
    dynamic = {k for _, k in keys if "{" in k}
    missing = [f"{n}: {key}" for n, key in keys if key not in dynamic and key not in CATALOGUE]
    assert missing == []


def test_values_the_console_labels_all_have_texts() -> None:
    """Keys made from data (``state.<value>`` ...) exist for every value the data can hold."""
    from streetorder.contracts import EvidenceRef
    from streetorder.platform.domain.roles import Role
    from streetorder.platform.domain.sms import REPORTER_STAGE_PREFIX, SmsState
    from streetorder.platform.domain.work_orders import OrderEvent, OrderState
    from streetorder.platform.domain.workflow import Event, State, Track
    from streetorder.platform.web.render import FLASHES
    from streetorder.platform.web.routes.dashboard import TILES
    from streetorder.platform.web.views import CASE_PAGE_EVENTS, REJECT_REASONS
    from streetorder.vocabulary import CLASS_NAMES

    wanted = (
        [f"state.{s.value}" for s in State]
        + [f"event.{e.value}" for e in Event]
        + [f"action.{e.value}" for e in CASE_PAGE_EVENTS]
        + [f"hint.{e.value}" for e in CASE_PAGE_EVENTS]
        + [f"role.{r.value}" for r in Role]
        + [f"sms_state.{s.value}" for s in SmsState]
        + [f"sms_stage.{s}" for s in ("notice", "penalty", "rework", REPORTER_STAGE_PREFIX[:-1])]
        + [f"order_state.{s.value}" for s in OrderState]
        + [f"order_event.{e.value}" for e in OrderEvent] + ["order_event.create"]
        + [f"track.{t.value}" for t in Track]
        + [f"colour.{c}" for c in ("red", "yellow", "green")]
        + [f"object.{c}" for c in CLASS_NAMES]
        + [f"reason.{r}" for r in REJECT_REASONS]
        + [f"tile.{key}" for key, _ in TILES]
        + [f"flash.{f}" for f in FLASHES]
        + [f"evidence_kind.{k}" for k in get_args(EvidenceRef.model_fields["kind"].annotation)]
    )  # fmt: skip
    assert [k for k in wanted if k not in CATALOGUE] == []


def test_templates_show_no_text_outside_the_catalogue() -> None:
    leftovers = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"\{% block body_class %\}.*?\{% endblock %\}", " ", source)
        source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        source = re.sub(r"<script.*?</script>|<style.*?</style>", " ", source, flags=re.S)
        visible = re.sub(r"<[^>]*>", " ", source)
        words = set(re.findall(r"[A-Za-z]{3,}", visible)) - ALLOWED_WORDS
        if words:
            leftovers[path.name] = sorted(words)
    assert leftovers == {}


def test_the_domain_words_are_the_ones_the_command_centre_uses() -> None:
    zh = " ".join(m.zh for m in CATALOGUE.messages.values())
    for word in ("发现", "立案", "审核", "派遣", "处置", "核查", "结案", "黄灯", "催办", "延期",
                 "返工", "首违免罚", "红黄绿三色", "固定设施"):  # fmt: skip
        assert word in zh, word


def test_lookup_falls_back_to_chinese_and_refuses_unknown_keys_and_missing_values() -> None:
    assert text("nav.queue") == "审核队列" and text("nav.queue", "en") == "Review queue"
    assert normalise_language("en-GB") == "en" and normalise_language("fr") == "zh-CN"
    assert normalise_language(None) == "zh-CN"
    with pytest.raises(KeyError):
        text("no.such_key")
    with pytest.raises(KeyError):
        text("queue.waiting", "en")  # {waiting} has no value
    with pytest.raises(ValueError, match="twice"):
        merge({"a.b": Msg("甲", "a")}, {"a.b": Msg("乙", "b")})
    assert Catalogue({"a.b": Msg("{n}件", "{n} cases")}).text("a.b", "en", n=3) == "3 cases"


def test_durations_read_as_the_command_centre_screen_shows_them() -> None:
    from datetime import timedelta

    span = timedelta(days=6, hours=23, minutes=41)
    assert duration(span) == "6天23小时41分钟"
    assert duration(span, "en") == "6 days 23 hours 41 minutes"
    assert duration(timedelta(minutes=5)) == "5分钟"
    # a run of seconds (the demo's handling times) never reads as 0 minutes
    assert duration(timedelta(seconds=40)) == "40秒" and duration(timedelta(seconds=1), "en") == (
        "1 second"
    )
    assert duration(timedelta(seconds=61)) == "1分钟" and duration(timedelta(0)) == "0秒"
    assert seconds_text(320) == "5分20秒" and seconds_text(320, "en") == "5 min 20 s"
    assert seconds_text(3 * 3600 + 6 * 60 + 5) == "3小时6分" and seconds_text(42) == "42秒"


def test_sms_are_rendered_in_chinese_from_the_catalogue() -> None:
    from streetorder.platform.sms.templates import NAMES, VARIABLES, render

    for name in NAMES:
        assert placeholders(CATALOGUE.messages[f"sms_text.{name}"].zh) <= VARIABLES
    values = dict.fromkeys(VARIABLES, "X") | {"shop": "鲜果坊", "deadline": "2026-11-21 10:00"}
    body = render("notice_exempt", **values)
    assert body.startswith("【X】鲜果坊负责人您好") and "首次违法行为不予处罚" in body
    with pytest.raises(KeyError, match="needs"):
        render("notice_exempt", shop="鲜果坊")


def test_a_refusal_reads_in_english_for_the_api_and_in_the_readers_language_elsewhere() -> None:
    """A :class:`Reason` is the API's English sentence (unchanged, as clients match it) and
    carries its key, so the console and the officer app can say it in their reader's words;
    the workflow's own refusals are such reasons, down to the words put into them."""
    import copy
    import pickle
    from datetime import UTC, datetime

    from streetorder.i18n import Reason, reason_text
    from streetorder.platform.domain.errors import InvalidTransition
    from streetorder.platform.domain.roles import Role
    from streetorder.platform.domain.workflow import CaseDraft, Event, Limits, State, Workflow

    reason = Reason("refusal.max_extensions", count=2)
    assert reason == "at most 2 extensions are allowed" and reason.key == "refusal.max_extensions"
    assert reason.text() == "最多只能延期2次" and reason.text("en") == str(reason)
    for copied in (copy.deepcopy(reason), pickle.loads(pickle.dumps(reason))):
        assert copied.text() == "最多只能延期2次"
    error = InvalidTransition(Reason("refusal.guard", event=Msg("延期", "extend"), reason=reason))
    assert str(error) == "cannot extend: at most 2 extensions are allowed"
    assert reason_text(error) == "不能延期:最多只能延期2次"
    assert reason_text(ValueError("plain")) == "plain"  # no key: as it is

    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    workflow = Workflow(Limits())
    case = CaseDraft(discovered_at=now, step_started_at=now, updated_at=now)
    case.state = State.CLOSED
    error_class, why = workflow.refusal(case, Event.CONFIRM, Role.REVIEWER, now=now)
    assert error_class is InvalidTransition
    assert (
        why == "cannot confirm a case that is closed"
        and why.text() == "案件当前为“已结案”,不能确认"
    )
    case.state = State.PENDING_REVIEW
    _, why = workflow.refusal(case, Event.CONFIRM, Role.OFFICER, now=now)
    assert why == "role officer cannot confirm (allowed: admin, reviewer)"
    assert why.text() == "执法队员不能确认(可由管理员、审核员办理)"


def test_upload_refusals_name_the_upload_and_the_formats_in_the_readers_words() -> None:
    from streetorder.i18n import reason_text
    from streetorder.platform.domain.errors import DomainError
    from streetorder.platform.imaging.validate import ImagePolicy, open_checked

    policy = ImagePolicy()
    for data, english, chinese in (
        (b"", "the photo is empty", "照片是空文件"),
        (b"GIF89a" + b"\0" * 32, "GIF files are not accepted here; send JPEG or PNG",
         "此处不接受GIF文件,请发送JPEG或PNG格式"),
        (b"just a note", "the file is not a recognised image; send JPEG or PNG",
         "文件不是可识别的图片,请发送JPEG或PNG格式"),
    ):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            open_checked(data, policy)
        assert str(refused.value) == english and reason_text(refused.value) == chinese


#: Code whose refusals reach the console or the officer app: each is a catalogue reason, so it
#: can be said in the reader's language (a bare English sentence there is a regression).
READ_BY_PEOPLE = [
    REPO / "platform" / "web",
    REPO / "platform" / "imaging",
    REPO / "mobile_api",
    *(REPO / "platform" / "domain" / f"{m}.py"
      for m in ("workflow", "lifecycle", "work_orders", "sms")),
    *(REPO / "platform" / "services" / f"{m}.py"
      for m in ("cases", "work_orders", "model_files", "model_versions", "ignore_regions",
                "scene_reference")),
    REPO / "platform" / "security.py",
]  # fmt: skip


def test_refusals_the_console_and_the_officer_app_show_come_from_the_catalogue() -> None:
    import streetorder.platform.domain.errors as errors

    names = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)}
    names |= {"TokenReused", "ChecklistError"}
    bare = []
    for root in READ_BY_PEOPLE:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
                first = node.exc.args[0] if node.exc.args else None
                if name in names and isinstance(first, ast.Constant | ast.JoinedStr):
                    bare.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node.exc)}")
    assert len(list(READ_BY_PEOPLE[0].rglob("*.py"))) > 10  # the walk finds the console's code
    assert bare == []
