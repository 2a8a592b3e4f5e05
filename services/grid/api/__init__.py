"""HTTP entrypoints of the grid service."""
