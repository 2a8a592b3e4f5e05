"""The volunteers service: volunteers, teams, wishes and time-bank accounts."""
