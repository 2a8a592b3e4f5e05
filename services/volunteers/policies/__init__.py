"""The volunteers service's reactions: credits to the time bank, as handlers
`services/volunteers/reactions.py` maps event types to.

Not a reaction but a reaction to time: `services/volunteers/watcher.py` flags wishes left
unclaimed past their date.
"""
