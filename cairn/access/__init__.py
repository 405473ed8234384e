"""The access policy: the only place that decides who may see and do what.

Views, API operations, search, exports, charts and jobs ask this package;
nothing else filters on its own. See docs/access-control.md.
"""
