"""Money as the team report shows it: exact decimal roubles, kept as whole kopecks."""

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


def roubles(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def kopecks(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def exact(amount: float | None) -> Decimal:
    """A deal's amount (stored as a float) as the roubles and kopecks it was written as."""
    return Decimal(repr(amount or 0)).quantize(KOPECK, rounding=ROUND_HALF_UP)


def share(amount: Decimal, basis_points: int) -> Decimal:
    """``basis_points`` hundredths of a per cent of ``amount``, to the kopeck (half up)."""
    return (amount * basis_points / 10_000).quantize(KOPECK, rounding=ROUND_HALF_UP)
