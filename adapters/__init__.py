"""What the core talks to: Postgres, embedders, generators, file parsers."""
