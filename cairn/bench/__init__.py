"""Benchmarks: ``cairn bench <name>`` measures one capability in a database of its own."""
