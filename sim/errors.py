"""The errors orgsim raises on purpose, and the one place where input problems become lines.

Every error orgsim means to raise derives from :class:`OrgsimError`.  Problems with what a user gave
(a scenario file, its ``base``, an org chart, an edge or department file, a command-line flag) are
:class:`InputError`\\ s: each holds one ``(field, message, value)`` per problem and prints them as
``file: field: message (got value)``, one line each (:func:`format_problem`).  The command line
prints those lines, exits with code 2 and writes nothing; a notebook sees the same lines in the
exception's message.

- :class:`ScenarioError`: a scenario file, its ``base`` or a ``--set`` override;
- :class:`OrganisationError`: an org chart, edge list or department file;
- :class:`LimitError`: a scenario or experiment whose estimated size exceeds a documented cap
  (``--allow-large`` lifts the caps deliberately);
- :class:`ExperimentError`: an experiment that ran but produced nothing usable (every run failed).

>>> print(ScenarioError("a.toml", [("ticks", "must be a whole number", True)]))
a.toml: ticks: must be a whole number (got True)
>>> print(InputError("--out", [("", "is a file, not a folder", "x.txt")]))
--out: is a file, not a folder (got 'x.txt')
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "OrgsimError", "InputError", "InputErrors", "ScenarioError", "OrganisationError", "LimitError", "ExperimentError",
    "NO_VALUE", "format_problem",
]

MAX_VALUE_CHARS = 120  # a value longer than this is shown cut, so one bad input stays one line


class _NoValue:
    """Marks a problem without an offending value (nothing to show after ``got``)."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = _NoValue()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 5] + " ...'"


def format_problem(source: str, field: str, message: str, value: Any = NO_VALUE) -> str:
    """One input problem as one line: ``file: field: message (got value)``.

    An empty ``source`` or ``field`` is left out, and a field equal to its source is said once (a
    flag such as ``--out`` is both).

    >>> format_problem("--out", "--out", "folder exists", "r")
    "--out: folder exists (got 'r')"
    """
    parts = [p for p in (str(source or ""), str(field or "")) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    line = ": ".join([*parts, message])
    return line if value is NO_VALUE else f"{line} (got {_shown(value)})"


class OrgsimError(Exception):
    """Base of every error orgsim raises on purpose (anything else is a bug)."""


class InputError(OrgsimError, ValueError):
    """Bad input.  ``source`` names the file (or flag); ``problems`` holds one ``(field, message,
    value)`` per fault, all reported at once.  A single string is accepted as a ready-made message."""

    def __init__(self, source: str, problems: list[tuple[str, str, Any]] | None = None):
        if problems is None:  # InputError("whole message"): one problem without file or field
            source, problems = "", [("", str(source), NO_VALUE)]
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self.source, self.problems)

    def lines(self) -> list[str]:
        return [format_problem(self.source, field, message, value) for field, message, value in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __reduce__(self):  # pickles with its own arguments (runs in other processes may raise it)
        return (self.__class__, (self.source, self.problems))


class InputErrors(InputError):
    """Input errors from several files (or flags), reported together in the order found."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        super().__init__("", [p for e in self.errors for p in e.problems])

    def lines(self) -> list[str]:
        return [line for e in self.errors for line in e.lines()]

    def __reduce__(self):
        return (self.__class__, (self.errors,))


class ScenarioError(InputError):
    """A bad scenario: the file, its ``base`` chain, a ``--set`` override, or a field's value."""


class OrganisationError(InputError):
    """A bad organisation file (org chart, edge list, department labels).  The field names the row
    and column where there is one (``row 4: manager_id``)."""


class LimitError(InputError):
    """The estimated size of a run or an experiment exceeds a documented cap (see
    :data:`sim.scenario.LIMITS`); the message gives the figure and the cap.  ``--allow-large``
    (``allow_large=True`` in the library) lifts the caps."""


class ExperimentError(OrgsimError):
    """An experiment ran but has nothing to report (every run failed, or a sensitivity analysis
    lacks sample points).  ``failures`` maps each failed run to its seed and error, as recorded in
    ``failures.json`` in ``folder``; nothing else is left there by the failed attempt."""

    def __init__(self, message: str, failures: dict | None = None, folder=None):
        self.failures = dict(failures or {})
        self.folder = folder
        super().__init__(message)

    def __reduce__(self):
        return (self.__class__, (str(self), self.failures, self.folder))
