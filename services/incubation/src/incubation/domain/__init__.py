"""Pure rules of incubation: phases, workstreams, who may do what, time allocation.

No I/O and no framework here: the API and the consumers load state, call these functions
and write what they return.
"""

from construisons.rules import Forbidden, Invalid, Refused, RuleViolation

__all__ = ["Forbidden", "Invalid", "Refused", "RuleViolation"]
