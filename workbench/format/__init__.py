"""Output formatters: CLI tables, exports, the print pipeline, Danish messages."""
