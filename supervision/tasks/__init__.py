"""督查事项 (SPEC §13): items, per-unit tasks, progress reports, 催办/督办, 办结 and 评价 — the /tasks/ area."""
