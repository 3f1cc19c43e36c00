"""Minimal aggregated inputs for every claim id, one module per paper (used by tests/test_claims_falsifiable.py).

Each module has `CASES`: claim id -> a function of `violate` returning the claim rows that the paper's claims code
computes from an input built here: with violate=False the input satisfies the claim, with violate=True it breaks it.
Each module's `SCALE` names a scale that checks its claims (a mapping per id where they differ).
"""
