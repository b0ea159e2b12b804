"""Database upkeep, run by the worker with its other periodic jobs (run_worker.py).

Query planners choose indexes from table statistics. PostgreSQL's autovacuum keeps them
fresh by itself; SQLite keeps none until ANALYZE runs. Without them SQLite guesses that
`status = 'pending'` is selective and may walk every pending session in index order to find
one person's few (the sessions dashboard's search, ten times slower at 100,000 sessions).
So the worker refreshes them on SQLite, sampling (analysis_limit) to stay cheap."""

from django.db import connection

# Index entries SQLite samples per index: plenty to tell selective columns from others.
SAMPLE_ROWS = 1000


def refresh_planner_statistics() -> int:
    """SQLite: ANALYZE, sampled. Returns 1 when it ran, 0 where the database does it."""
    if connection.vendor != "sqlite":
        return 0
    analyze()
    return 1


def analyze() -> None:
    """Statistics for every table now (after a bulk load such as seed_demo's), either
    database. Cheap: SQLite samples SAMPLE_ROWS entries per index."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SAMPLE_ROWS}")
        cursor.execute("ANALYZE")
