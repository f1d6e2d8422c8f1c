"""Policies as code: schema, YAML loader, waivers, evaluator and the shipped packs."""
