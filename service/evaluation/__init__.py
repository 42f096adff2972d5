"""`precis eval`: measured summary and answer quality against baselines (see docs/evaluation.md)."""
