"""The grid service: the tier tree (and, next, roles, departments, modes and whistles)."""
