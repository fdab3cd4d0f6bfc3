"""The per-column facts and the dataset summary of a fitted validator, under their old path.

They are copied into the report by the drift summary (:mod:`advval.drift._summary`); this
module only re-exports the two functions.
"""

from __future__ import annotations

from ..drift._summary import report_facts, report_summary

__all__ = ["report_facts", "report_summary"]
