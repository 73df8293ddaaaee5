"""What runs: settings, wiring, the console bot and the `medgpt` command (chat bots to come)."""
