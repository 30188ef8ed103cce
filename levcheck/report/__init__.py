"""What `levcheck check` leaves behind: a JSON summary, JUnit XML, SARIF, Markdown and plots."""
