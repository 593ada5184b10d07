"""A company at scale for load tests: ``flask --app portal seed-scale --factor F``.

No blueprint here on purpose: this package is not a feature, only a command (see ``cli.py``).
"""
