"""The Slack bot: mentions in channels, DMs, thread follow-ups; answers in the thread."""
