"""How often labcheck's statistical checks fail a correct answer (labgrade fairness)."""

from labgrade.fairness.measure import CHECKS, measure

__all__ = ["CHECKS", "measure"]
