"""Plans for people and machines: text, markdown, JSON, and saved plans."""
