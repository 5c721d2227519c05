"""Data pipeline: preference sets → verl parquet (``convert``), cold-start annotation (``annotate``),
hard-subset selection (``select``). Command line: ``python -m r1_reward.data {convert,annotate,select}``."""

from r1_reward.data.convert import Source, Summary, convert, parse_source

__all__ = ["Source", "Summary", "convert", "parse_source"]
