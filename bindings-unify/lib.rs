//! Nothing but dependencies: see `scripts/unify-features.py`.
