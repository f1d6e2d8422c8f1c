"""Evidence: fairness, transparency and documentation audits. Audits measure; they never decide."""
