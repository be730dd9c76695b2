import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # spec paths in diagnostics and golden files are relative to the repo

# the pytester fixture runs pytest on generated projects (tests/testing)
pytest_plugins = ["pytester"]

# The *.pyspec files under tests/ are fixtures (many deliberately wrong or
# without declared outcomes), not a library for the pyspec pytest plugin.
collect_ignore_glob = ["*.pyspec"]
