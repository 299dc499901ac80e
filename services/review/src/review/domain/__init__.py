"""Pure rules of the review service: the case's lifecycle, the contact calendar, scoring and
statistics. No I/O and no framework here, so every rule is testable on its own."""
