"""The fairness engine: every group metric from one contingency table."""
