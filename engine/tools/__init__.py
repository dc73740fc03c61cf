"""Development tools: benchmarks, crash test, recorded losses, device checks."""
