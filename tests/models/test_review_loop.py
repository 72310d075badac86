"""The review loop, end to end (issue 17): a scene the bundled model has not seen, in which it
takes a shop fitting for goods and alerts on it, and in which goods are really left in the other
frontage. A real edge node watches it against a running platform over a real Mosquitto; the
reviewer rejects the false alert and confirms the true one; ``models export-reviews`` → a short
fine-tune from the bundled weights → ``models export`` → uploaded and rolled out to the node
through the platform → the same scene again: the false alert no longer occurs, the goods still
alert, raised by the new version. The loop itself: ``tests/support/review_loop.py``; the same
loop over several seeds: ``scripts/bench_review_loop.py``.

The fine-tune is the smallest that is reliable here: 6 epochs at 320 px of the review export
(2 images, listed 16 times) beside 32 synthetic images, the backbone frozen: about 2 minutes on
a quiet 2-core machine, 4 on a loaded one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.review_loop import BUNDLED_PT, loop_world, scene_to_unlearn

pytestmark = [pytest.mark.mqtt, pytest.mark.slow, pytest.mark.train]

#: ``review`` seeds whose fitting is a built-in rack or table, first seed 4: the bundled model
#: (2026.12.02) reads its rack as goods (score ~0.89 on every frame) and finds the goods put out
#: at 40 s (~0.55); its successor (2026.12.07, the chain's stage 3) still raises one false alert
#: there and catches the episode. The test takes the first on which the bundled model raises a
#: false alert and alerts the episode (so a new bundled model keeps it meaningful); the
#: benchmark reports seeds from 101 up.
CANDIDATES = (4, 10, 3, 12, 18, 19)


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rejected_false_alerts_stop_after_retraining_and_confirmed_ones_still_alert(
    database_url: str, tmp_path: Path, mosquitto_factory
) -> None:
    pytest.importorskip("ultralytics")
    if not BUNDLED_PT.is_file():
        pytest.skip(f"{BUNDLED_PT} (the bundled weights) is not committed")
    scene = scene_to_unlearn(tmp_path / "scenes", CANDIDATES)
    if scene is None:
        pytest.skip(f"the bundled model raises no false alert on review seeds {CANDIDATES}")
    seed = scene.seed
    [episode] = scene.episodes  # goods left in front of the other shop
    # a broker of its own: on a shared one, the platforms of tests running beside answer this
    # node's alerts with "node not registered" receipts, and the node drops them
    broker = mosquitto_factory().broker
    with loop_world(database_url, tmp_path, broker, [scene]) as world:
        before = world.play()
        false = [a for a in before.alerts if before.verdicts[a["alert_id"]] == "false"]
        assert before.false_alerts[seed] == len(false) >= 1, before.alerts  # from second 0
        assert before.caught == {seed: 1}, before.alerts
        assert all(a["zone_code"] != episode["zone_id"] for a in false)
        own = before.models
        assert world.review(before) == {"confirmed": 1, "rejected": len(false)}

        bundle = world.retrain("review-loop-1")
        version = world.roll_out(bundle)

        after = world.play()
        assert after.models == {version} and version not in own
        assert after.false_alerts == {seed: 0}, after.alerts  # the rejected alert is gone
        assert after.caught == {seed: 1}, after.alerts  # the confirmed episode still alerts
        # every episode of the first play ended (the blank picture between the plays), so the
        # second play's alerts are its own
        for a in before.alerts:
            assert world.api("GET", f"/alerts/{a['alert_id']}")["episode_ended_at"], a
