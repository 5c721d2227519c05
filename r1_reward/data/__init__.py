"""Data pipeline: preference sets → verl parquet (``convert``), cold-start annotation (``annotate``),
hard-subset selection (``select``). Command line: ``python -m r1_reward.data {convert,annotate,select}``."""

from r1_reward.data.convert import ConvertError, Source, Summary, convert, parse_source
from r1_reward.data.limits import RowLimits

__all__ = ["ConvertError", "RowLimits", "Source", "Summary", "convert", "parse_source"]
