"""The peer-supporter network: inbox, conversations, concerns (issue 11)."""
