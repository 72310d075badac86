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

from tests.support.review_loop import BUNDLED_PT, loop_world, make_scene

pytestmark = [pytest.mark.mqtt, pytest.mark.slow, pytest.mark.train]

#: ``review`` seed 4: the fitting is a built-in rack, which the bundled model reads as goods
#: (score ~0.89 on every frame); the goods put out at 40 s are found (~0.55). Chosen because
#: the bundled model fails on it; the benchmark reports other seeds.
SEED = 4


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rejected_false_alerts_stop_after_retraining_and_confirmed_ones_still_alert(
    database_url: str, tmp_path: Path, mqtt_broker
) -> None:
    pytest.importorskip("ultralytics")
    if not BUNDLED_PT.is_file():
        pytest.skip(f"{BUNDLED_PT} (the bundled weights) is not committed")
    scene = make_scene(tmp_path / "scenes", SEED, 1)
    [episode] = scene.episodes  # goods left in front of the second shop
    with loop_world(database_url, tmp_path, mqtt_broker, [scene]) as world:
        before = world.play()
        assert before.false_alerts == {SEED: 1}, before.alerts  # the fitting, from second 0
        assert before.caught == {SEED: 1}, before.alerts
        [false] = [a for a in before.alerts if before.verdicts[a["alert_id"]] == "false"]
        assert false["zone_code"] != episode["zone_id"]
        own = before.models
        assert world.review(before) == {"confirmed": 1, "rejected": 1}

        bundle = world.retrain("review-loop-1")
        version = world.roll_out(bundle)

        after = world.play()
        assert after.models == {version} and version not in own
        assert after.false_alerts == {SEED: 0}, after.alerts  # the rejected alert is gone
        assert after.caught == {SEED: 1}, after.alerts  # the confirmed episode still alerts
        # every episode of the first play ended (the blank picture between the plays), so the
        # second play's alerts are its own
        for a in before.alerts:
            assert world.api("GET", f"/alerts/{a['alert_id']}")["episode_ended_at"], a
