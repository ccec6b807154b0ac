from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "support"))
# The example project holds the Quick Start's UserAnonymizer exactly as the product README prints it.
sys.path.insert(0, str(Path(__file__).parents[3] / "examples" / "user_etl"))
