"""Consistency judges behind one interface (base.Judge): rule, endpoint, pool, random, and the flip wrapper."""
