"""Training code: data loading, degradations, training loops."""
