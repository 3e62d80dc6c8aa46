"""The reviewer pack (`harness submission`) and its `[tool.harness.submission]` settings."""
