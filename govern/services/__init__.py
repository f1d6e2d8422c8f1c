"""Services: what govern does, as short steps with I/O at the edges.

- :mod:`govern.services.audit`: audit a registered model version (or a decision file) against a
  policy and record it (load, gather evidence, judge, check outputs, record, write);
- :mod:`govern.services.gate`: the deployment gate;
- :mod:`govern.services.approvals`: human sign-off;
- :mod:`govern.services.demo`: the main job end to end on synthetic data.
"""
