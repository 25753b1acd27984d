"""sora_widgets."""
