"""Adapters: govern's I/O at the edges, each hiding one outside system.

- :mod:`govern.adapters.registry`: the MLflow model registry and tracking store (the only
  module that imports mlflow);
- :mod:`govern.adapters.trail`: the hash-chained audit trail file;
- :mod:`govern.adapters.files`: atomic writes and output folders checked before anything is
  recorded;
- :mod:`govern.adapters.junit`: the gate's JUnit XML and Markdown summary for CI systems.
"""
