"""The ``govern`` command line: thin click commands over the public Python API."""
