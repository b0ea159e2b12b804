"""Reference views for `make bench` (scripts/bench_pages.py); never part of the product's URLs."""
