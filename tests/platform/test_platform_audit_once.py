"""Each audit row is written once, complete: an event's row carries what it caused (the work
order and SMS ids) from its INSERT, and no ``case_events`` row is ever updated."""

from __future__ import annotations

from sqlalchemy import event

from streetorder.platform.db import CaseEvent


def test_confirm_rework_and_fine_write_complete_audit_rows_once(platform_factory) -> None:
    p = platform_factory()
    statements: list[str] = []
    event.listen(
        p.db.engine, "before_cursor_execute",
        lambda _c, _cur, sql, *_a: statements.append(sql.lower()),
    )  # fmt: skip
    first = p.alerts(shop="shop-001")
    p.deliver(first)
    case_id = p.case_of(first.alert_id)["id"]
    p.post("reviewer", f"/cases/{case_id}/confirm", {"note": "goods on the pavement"})
    p.rectify_with_photo(case_id)
    p.post("reviewer", f"/cases/{case_id}/rework", {"reason": "still a rack outside"})
    assert not [s for s in statements if s.startswith("update case_events")]
    assert any(s.startswith("insert into case_events") for s in statements)
    with p.db.session() as session:
        rows = {
            e.event: e.data
            for e in session.query(CaseEvent).filter_by(case_id=case_id).order_by(CaseEvent.id)
        }
    assert rows["confirm"]["track"] == "exempt" and rows["confirm"]["exemption"]
    assert {"work_order_id", "sms_id", "sms"} <= set(rows["dispatch"])
    assert {"work_order_id", "sms_id"} <= set(rows["rework"])
    assert rows["rework"]["work_order_id"] != rows["dispatch"]["work_order_id"]
