"""Independent high-precision references for the nnmath test suite.

Nothing here imports nnmath: every value is computed from the published definitions
with mpmath (or exact rational arithmetic), so the tests never take an expected value
from the code they check.
"""
