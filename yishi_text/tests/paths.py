"""Where the test plans live."""

from pathlib import Path

# CI keeps ../shared beside the checkout: <repo>/../shared/samples/plans.
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
