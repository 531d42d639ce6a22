"""The plans as data: indicators, targets and the clauses they come from."""

from yangfan.catalog.load import Catalog, get_catalog, load_catalog
from yangfan.catalog.models import Comparator, Indicator, Plan, Target

__all__ = ["Catalog", "Comparator", "Indicator", "Plan", "Target", "get_catalog", "load_catalog"]
