"""Graph building blocks: networks, update ops, towers, snapshots, the unroll."""
