"""Issues' domain: the Issue aggregate, its events and rules. Pure: no I/O."""
