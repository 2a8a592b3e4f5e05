"""The bus: domain events as Envelopes, delivered in batches with their positions.

`consumer.Consumer` is the interface projections and policies read from; `embedded` follows
the services' notification logs in PostgreSQL (one machine, no broker); `kafka` reads the
topics the relay (`shared/relay.py`) publishes as CloudEvents (`cloudevents.py`).
"""
