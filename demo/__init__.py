"""The embedded demo: fictional outlets served on 127.0.0.1, a demo video transcript, and demo annotations. Not production code."""
