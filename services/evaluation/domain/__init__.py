"""The evaluation service's aggregates and pure rules."""
