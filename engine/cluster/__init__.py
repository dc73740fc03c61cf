"""The ps/worker cluster: its flags and spec, and the distributed trainer."""
