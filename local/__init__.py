"""The local cloud: ministack running the real template.yaml (see DESIGN.md §3)."""
