"""Queries a table that `unpod-calllogs sync` (or `client.call_logs.sync`) keeps in step: per day,
the calls, the share missed and the average duration of completed calls; and checks that the table
holds as many calls as the server counts.

    UNPOD_PLATFORM_TOKEN=... UNPOD_ORG_HANDLE=... [UNPOD_BASE_URL=...] python query_synced.py calls.db
"""

import sqlite3
import sys

from unpod_calllogs import Client

database = sys.argv[1] if len(sys.argv) > 1 else "calls.db"
with sqlite3.connect(database) as connection:
    held = connection.execute("SELECT count(*) FROM call_logs").fetchone()[0]
    days = connection.execute(
        """SELECT substr(creation_time, 1, 10) AS day, count(*),
                  avg(call_status = 'missed'),
                  avg(CASE WHEN call_status = 'completed' THEN call_duration END)
           FROM call_logs GROUP BY day ORDER BY day DESC LIMIT 5"""
    ).fetchall()

with Client() as client:
    counted = client.call_logs.list(page_size=1).count
print(f"{held} calls in {database}; the server counts {counted}")
print("day         calls  missed  avg completed")
for day, calls, missed, duration in days:
    print(f"{day}  {calls:>5}  {missed:>6.0%}  {duration or 0:>11.0f}s")
if held != counted:
    sys.exit(f"the table holds {held} calls, the server {counted}")
