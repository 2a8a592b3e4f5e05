"""Projections build read models from envelopes; the runner makes each effect exactly-once."""
