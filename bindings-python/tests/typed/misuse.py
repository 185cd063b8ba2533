# pyright: strict
"""Mistakes the types must catch: each line marked `# error` must be reported by pyright and mypy."""

from unpod_calllogs import CallStatus, Client

client = Client()
client.call_logs.list(call_status="busyy")  # error
client.call_logs.iter(call_type="sideways")  # error
client.call_logs.all(timeout="5")  # error
client.call_logs.list(page_size="50")  # error
client.call_logs.export("x.csv", format="xml")  # error
client.call_logs.list(start_dat="2026-02-01")  # error
log = client.call_logs.list().data[0]
log.call_duraton  # error
status: CallStatus = log.call_type  # error
client.with_options(timeout="slow")  # error
client.call_logs.sync("calls.db", max_records="many")  # error
client.call_logs.sync("calls.db", progress="yes")  # error
