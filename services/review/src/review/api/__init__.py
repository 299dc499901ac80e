"""Review HTTP API: the innovation team's and the committee's work on cases."""

from review.api import cases, committee, reports

routers = [cases.router, committee.router, reports.router]
