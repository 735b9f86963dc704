"""kcconf lint: risky realm shapes flagged offline, with rule ids."""
