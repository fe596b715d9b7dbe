"""The terminal side of a live meeting: progress lines, and mediapipe's chatter filtered out."""
