"""Model-checking engines: the embedded checker and the TLC runner.

Each engine lives in its own package and reports through
:class:`pyspec.report.Report`.
"""
