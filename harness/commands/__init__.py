"""Commands that compose several packages (the top layer of the dependency graph).

A command that drives one package lives next to it (``harness/<area>/cli.py``); a command that
wires packages together lives here, so no package imports one above it (see
``[tool.importlinter]`` in pyproject.toml).
"""
