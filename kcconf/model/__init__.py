"""The values plan and apply share: addresses, objects, states and changes."""
