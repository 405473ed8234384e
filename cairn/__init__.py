"""Cairn: shared intelligence and case coordination against human trafficking."""
