"""The settings every entry point starts from: the command line, the Prefect flow and the served deployment.

Here in orchestration rather than in flows/core: the core is part of the parser version (see
flows/warehouse/state.py), and a longer lock wait must not make every workbook be read again.
"""

from pathlib import Path

# Defined beside the commands we suggest, which name a warehouse only when it is not this one.
from flows.warehouse.commands import DEFAULT_WAREHOUSE  # noqa: F401

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_LOCK_WAIT_SECONDS = 600.0  # how long a load, withdraw or recover waits for another writer
# Workbooks per extraction task. Larger batches spread pandera's fixed cost per validation
# (1,000 synthetic workbooks: 3.5 ms each in batches of 100, 3.3 ms in batches of 250).
DEFAULT_BATCH_SIZE = 250
DEFAULT_SERVE_PORT = 4200  # of the local Prefect server `haquang serve` starts (127.0.0.1)
