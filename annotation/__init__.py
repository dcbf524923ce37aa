"""FrameCheck annotation: the fact base, the label schema, Label Studio sync, agreement."""
