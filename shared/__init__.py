"""Gongzhi's common package: what every service stands on.

settings, the event store wiring, the bus (consumer interface and its transports), the
projection runner, auth, problem responses, and the clock. Nothing service-specific lives here.
"""
