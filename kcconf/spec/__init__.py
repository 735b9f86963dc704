"""Reading specs: YAML with locations, the JSON Schema, validation, the desired state."""
