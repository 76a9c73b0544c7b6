"""The fault run: real receivers and workers under SIGKILLs and database restarts.

``python -m bench.fault_run`` is the command; the parts live here:

* :mod:`.traffic`: the orders, their DR webhooks shuffled and duplicated, and
  the fault-free reference (each order's history applied alone, in DR's order);
* :mod:`.fleet`: the ``orderfsm serve`` and ``orderfsm worker`` processes and
  the database (a SQLite file, or a private PostgreSQL server) the faults hit;
* :mod:`.senders`: DR's side: signed deliveries, retried until answered 2xx;
* :mod:`.recorder`: the effect handler the workers run (one line per delivery);
* :mod:`.verdict`: what is checked afterwards, and the counts printed.
"""
