"""The threads that work on a chunk's columns side by side, started once per process.

Columns are independent, and Arrow and numpy release the GIL, so a thread per core uses them all.
Arrow's allocator is chosen here, before the first chunk allocates (memory.configure).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from . import memory

memory.configure()
WORKERS = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="csvlake")
