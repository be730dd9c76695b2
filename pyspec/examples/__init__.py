"""Example implementations that the conformance tools can drive.

They live in the package (not next to the specs) so that an adapter can be
named by module path from any directory, as the command line does:
``pyspec replay REPORT.json --adapter pyspec.examples.peterson:Peterson``.
"""
