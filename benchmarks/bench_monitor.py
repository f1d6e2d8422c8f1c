"""The drift alarm of ``govern monitor``: false alarms on stable logs, delay on drifting ones,
and the cost of the oversight audit against fairlearn measured in the same run.

Four parts:

1. **False alarms, detector alone.** Stable logs of binomial counts (two groups, same rate,
   24 windows), several sizes and rates, many logs each: false alarms a year (the documented
   bound is 0.05) and detections of any direction a year.
2. **Delay, detector alone.** From window 15 the group's rate falls to a share of the
   reference's; the share of logs that alarm within three windows (15, 16 or 17), and the
   median delay.
3. **The whole command.** ``monitor_log`` on synthetic recruitment logs (24 months, by sex,
   the four-fifths pack without bootstrap): stable logs (false alarms a year) and logs with a
   planted drift from month 15 (alarm within three months).
4. **Cost of the oversight audit.** ``audit_oversight`` (rates with intervals, tests, the paired
   change with 1,000 replicates) against fairlearn's ``MetricFrame`` computing the same per-group
   rates with no intervals, on the same rows; the ratio govern / fairlearn.

Usage::

    .venv/bin/python benchmarks/bench_monitor.py            # about a minute
    .venv/bin/python benchmarks/bench_monitor.py --quick    # a smoke run, about 10 seconds
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def detector_false_alarms(logs: int, n: int, rate: float, seed: int) -> tuple[float, float]:
    from govern.audits.monitoring.drift import DriftSettings, GroupCount, WindowCounts, detect_drift

    rng = np.random.default_rng(seed)
    counts = rng.binomial(n, rate, size=(logs, 24, 2))
    alarms = detections = 0
    for log in counts:
        windows = [
            WindowCounts(f"w{i:02d}", {"sex": {"f": GroupCount(n, float(a)),
                                               "m": GroupCount(n, float(b))}})
            for i, (a, b) in enumerate(log)
        ]  # fmt: skip
        found = detect_drift(windows, DriftSettings())[1]
        detections += len(found)
        alarms += sum(a.is_alarm for a in found)
    years = logs * 20 / 12  # 24 windows less one choosing the reference and 3 of warm-up
    return alarms / years, detections / years


def detector_delay(logs: int, n: int, rate: float, ratio: float, seed: int) -> tuple[float, float]:
    from govern.audits.monitoring.drift import DriftSettings, GroupCount, WindowCounts, detect_drift

    rng = np.random.default_rng(seed)
    delays = []
    for _ in range(logs):
        windows = []
        for i in range(24):
            group_rate = rate * ratio if i >= 14 else rate
            windows.append(
                WindowCounts(f"{i + 1:02d}", {"sex": {
                    "f": GroupCount(n, float(rng.binomial(n, group_rate))),
                    "m": GroupCount(n, float(rng.binomial(n, rate)))}})
            )  # fmt: skip
        late = [int(a.window) for a in detect_drift(windows, DriftSettings())[1]
                if a.is_alarm and int(a.window) >= 15]  # fmt: skip
        delays.append(min(late) - 15 if late else 99)
    within = float(np.mean(np.array(delays) <= 2))
    return within, float(np.median(delays))


def command_study(logs: int, rows: int, drift: float, folder: Path) -> tuple[float, float, float]:
    import yaml

    from govern.datasets import recruitment
    from govern.services.monitor import monitor_log

    policy = folder / "lean.yaml"
    policy.write_text(yaml.safe_dump({"name": "lean", "version": "1",
                                      "extends": ["eeoc-four-fifths"],
                                      "settings": {"n_boot": 0}}))  # fmt: skip
    early = within = 0
    seconds = []
    for seed in range(logs):
        frame = recruitment(rows, seed=1000 + seed, disparity=0.0, months=24,
                            drift_from=15 if drift else None, drift=drift)  # fmt: skip
        start = time.perf_counter()
        result = monitor_log(frame, time="decided_at", every="month", policy=policy,
                             y_pred="shortlisted", sensitive="sex")  # fmt: skip
        seconds.append(time.perf_counter() - start)
        months = [
            (int(a.window[:4]) - 2025) * 12 + int(a.window[5:7])
            for a in result.detections
            if a.is_alarm
        ]
        # a false alarm: any alarm on a stable log; on a drifting one, any before the drift
        early += sum(m < 15 for m in months) if drift else len(months)
        within += any(15 <= m <= 17 for m in months)
    # months watched: after the month that chooses the reference and 3 of warm-up, up to the
    # drift (months 5 to 14) or to the end (5 to 24)
    years = logs * (10 if drift else 20) / 12
    return early / years, within / logs, statistics.median(seconds)


def _share(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The share of a group for whom the indicator is 1 (fairlearn's selection rate)."""
    return float(np.mean(y_pred)) if len(y_pred) else float("nan")


def oversight_cost(rows: int, repeat: int) -> tuple[float, float]:
    from fairlearn.metrics import MetricFrame

    from govern.audits.oversight import audit_oversight
    from govern.datasets import recruitment

    frame = recruitment(rows, seed=3, reviewers=8, override_bias=0.2)
    rec, dec = frame["shortlisted"].to_numpy(), frame["final_decision"].to_numpy()

    def govern_run() -> object:
        return audit_oversight(frame, recommendation="shortlisted", decision="final_decision",
                               sensitive=["sex", "ethnicity"], appeal="appealed",
                               appeal_upheld="appeal_upheld", reviewer="reviewer")  # fmt: skip

    def fairlearn_run() -> object:
        results = []
        sensitive = [frame["sex"].fillna("unknown"), frame["ethnicity"],
                     frame["sex"].fillna("unknown") + " & " + frame["ethnicity"]]  # fmt: skip
        for features in sensitive:
            for indicator, mask in (
                (rec == dec, np.ones(len(frame), dtype=bool)),
                (dec, rec == 0),
                (1 - dec, rec == 1),
                (frame["appealed"].to_numpy(), np.ones(len(frame), dtype=bool)),
            ):
                results.append(
                    MetricFrame(
                        metrics=_share,
                        y_true=indicator[mask],
                        y_pred=indicator[mask],
                        sensitive_features=features[mask],
                    ).by_group
                )
        return results

    def median(run: object) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    return median(govern_run), median(fairlearn_run)


def part_three(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"3. govern monitor on synthetic recruitment logs ({count} logs each)")
        early, _, seconds = command_study(count, 14400, 0.0, folder)
        print(f"   stable, 600 a month: false alarms {early:.4f}/year; {seconds:.2f} s a log")
        for rows, drift in ((14400, 0.3), (24000, 0.4)):
            early, within, seconds = command_study(count, rows, drift, folder)
            print(f"   drift {drift} from month 15, {rows // 24} a month: alarm in months 15-17 "
                  f"in {within:.2f} of logs, false alarms before it {early:.4f}/year; "
                  f"{seconds:.2f} s a log")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer logs: a smoke run")
    parser.add_argument("--part", type=int, choices=(1, 2, 3, 4), help="run one part only")
    args = parser.parse_args()
    if args.part == 3:
        part_three(10 if args.quick else 100)
        return
    logs = 200 if args.quick else 2000
    print("1. false alarms a year on stable logs (detector alone; bound 0.05)")
    for n, rate in ((300, 0.4), (100, 0.3), (60, 0.3), (30, 0.4), (30, 0.15)):
        alarms, detections = detector_false_alarms(logs, n, rate, seed=7)
        print(f"   n={n:>3} per group, rate {rate:.2f}: alarms {alarms:.4f}/year, "
              f"detections of any direction {detections:.4f}/year ({logs} logs)")  # fmt: skip
    print("2. alarm within 3 windows of a fall (detector alone, n=300 per group, rate 0.4)")
    for ratio in (0.9, 0.8, 0.7, 0.6):
        within, delay = detector_delay(logs // 4, 300, 0.4, ratio, seed=11)
        print(f"   ratio falls to {ratio:.1f}: within 3 windows {within:.3f}, "
              f"median delay {delay:g} window(s)")  # fmt: skip
    part_three(10 if args.quick else 100)
    rows = 20_000 if args.quick else 100_000
    ours, theirs = oversight_cost(rows, repeat=3)
    print(
        f"4. oversight audit of {rows:,} rows: govern {ours:.2f} s (intervals, tests, paired "
        f"change), fairlearn MetricFrame (rates only) {theirs:.2f} s: ratio {ours / theirs:.2f}"
    )


if __name__ == "__main__":
    main()
