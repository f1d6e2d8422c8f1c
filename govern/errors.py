"""The exceptions govern raises, and the exit code each one maps to at the CLI boundary.

Exit codes (a contract scripts rely on): 0 success or gate open; 1 the policy failed or the gate is
closed; 2 bad input or usage; 3 an unexpected internal error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_POLICY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3


class GovernError(Exception):
    """Base class of every error govern raises on purpose.

    The message is written for the person at the terminal: what is wrong, where (file, line,
    column or column name) and what to do about it.
    """

    exit_code = EXIT_INTERNAL_ERROR


class BadInputError(GovernError):
    """The user gave something govern cannot use: a missing file, a wrong column, bad YAML."""

    exit_code = EXIT_BAD_INPUT


class DataError(BadInputError):
    """Evaluation data that cannot be audited (missing columns, empty file, non-binary labels)."""


class PolicyError(BadInputError):
    """A policy or waiver file that cannot be loaded; carries every problem found, not the first."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class EvidenceError(BadInputError):
    """Evidence that cannot answer the policy asked (measured under other settings)."""


class RegistryError(BadInputError):
    """The model register cannot be reached or does not hold what was asked for."""


class GateClosedError(GovernError):
    """Raised by library callers that prefer an exception to a closed-gate result."""

    exit_code = EXIT_POLICY_FAILED
