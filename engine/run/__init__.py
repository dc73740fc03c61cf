"""The run-time: session, training loop, progress, checkpoints, the run directory."""
