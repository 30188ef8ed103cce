"""The fault matrix of issue 11: every bad input, missing piece or signal gives the right exit code
and a message that says what to fix; none passes silently. One test per case."""
