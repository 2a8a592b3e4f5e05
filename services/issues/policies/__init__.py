"""The issues service's reactions to other services' events, as commands here: the handlers
`services/issues/reactions.py` maps event types to.

Not a reaction but a reaction to time: `services/issues/watcher.py` supervises overdue issues.
"""
