"""Where the tools ship; lint rules and budgets are per target."""

TARGETS = ("chatgpt-plugin", "gpt-actions", "mcp", "openai-apps", "claude-directory")
"""The legacy plugin manifest, GPT Actions (OpenAPI), any MCP host, and the two directories
that review MCP servers (OpenAI's apps, Anthropic's connectors)."""
