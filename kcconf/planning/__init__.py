"""The planning core: one comparison, the plan, the safety checks and apply."""
