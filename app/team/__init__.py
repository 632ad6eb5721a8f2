"""Active sales as a team: monthly plans, pay rules and the month's results per person."""
