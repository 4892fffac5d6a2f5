"""Verb functions over the domain. They flush; the boundary (request, CLI, worker) commits."""
