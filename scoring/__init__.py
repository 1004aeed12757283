"""Pure recurrence-risk scoring: score definitions, evaluation, WHO grade, surveillance plans."""
