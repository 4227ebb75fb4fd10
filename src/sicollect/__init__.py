"""sicollect: contribution collection, arrears and coverage for a provincial SI office."""
