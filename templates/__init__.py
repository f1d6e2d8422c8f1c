"""Jinja2 templates (HTML and Markdown) and their CSS, shipped as package data."""
