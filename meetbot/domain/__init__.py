"""Pure domain: events, states, timelines, turns, attendance, scoring. Standard library only."""
