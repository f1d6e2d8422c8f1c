"""A hand-made decision log whose every oversight figure is worked out in the docstring.

Group A (20 people): the model recommended 10; the reviewer kept 9 of them and turned 1 down;
of the 10 not recommended the reviewer selected 2. Group B (20 people): recommended 8, kept 5,
turned 3 down; of the 12 not recommended, selected none.

- agreement: A (9 + 8) / 20 = 0.85; B (5 + 12) / 20 = 0.85; overall 34 / 40 = 0.85
- upward override: A 2 / 10 = 0.2; B 0 / 12 = 0; overall 2 / 22
- downward override: A 1 / 10 = 0.1; B 3 / 8 = 0.375; overall 4 / 18
- selection, model: A 10/20 = 0.5, B 8/20 = 0.4; final: A 11/20 = 0.55, B 5/20 = 0.25
- reference (highest under the model): A; impact ratio of B: model 0.8, final 0.25/0.55 = 5/11;
  change 5/11 - 4/5 = -19/55
- appeals (only people turned down or not selected appeal): A 3 of 20 (1 upheld, 1 not, 1
  pending), B 5 of 20 (0 upheld, 4 not, 1 pending): appeal rate 0.15 and 0.25; upheld among
  decided appeals 1/2 and 0/4; overall 1/6; 2 pending
- reviewers: R1 decided all of A (3 changed: 0.15); R2 the 8 recommended in B (3 changed:
  0.375); R3 the 12 not recommended in B (none changed)
- time: every A decision 10 minutes after the recommendation, every B decision 30 seconds
  after: medians 10 and 0.5; decided within a minute: A 0, B 1; overall median 5.25
"""

from __future__ import annotations

import pandas as pd

HAND_MIN_GROUP_SIZE = 5


def hand_log() -> pd.DataFrame:
    rows: list[dict[str, object]] = []

    def add(
        group: str,
        count: int,
        rec: int,
        dec: int,
        reviewer: str,
        minutes: float,
        appeals: list[object] | None = None,
    ) -> None:
        outcomes = list(appeals or [])
        for index in range(count):
            appealed = 1 if index < len(outcomes) else 0
            rows.append(
                {
                    "group": group,
                    "model": rec,
                    "final": dec,
                    "appealed": appealed,
                    "upheld": outcomes[index] if appealed else None,
                    "reviewer": reviewer,
                    "recommended_at": "2025-03-03T09:00:00",
                    "decided_at": (
                        pd.Timestamp("2025-03-03T09:00:00") + pd.Timedelta(minutes=minutes)
                    ).isoformat(),
                }
            )

    # group A: 9 kept, 1 turned down (appeals: upheld), 2 selected up, 8 kept at no
    add("A", 9, 1, 1, "R1", 10)
    add("A", 1, 1, 0, "R1", 10, appeals=[1])
    add("A", 2, 0, 1, "R1", 10)
    add("A", 8, 0, 0, "R1", 10, appeals=[0, None])
    # group B: 5 kept, 3 turned down (appeals: not upheld, pending), 12 kept at no
    add("B", 5, 1, 1, "R2", 0.5)
    add("B", 3, 1, 0, "R2", 0.5, appeals=[0, None])
    add("B", 12, 0, 0, "R3", 0.5, appeals=[0, 0, 0])
    frame = pd.DataFrame(rows)
    frame["upheld"] = frame["upheld"].astype("Int64")
    return frame
