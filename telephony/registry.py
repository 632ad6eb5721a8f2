"""Every PBX vendor callfunnel speaks to, in the order that picks who places a click-to-call
when several have their API configured.  Adding a vendor: its module in ``telephony/``, one
line here, its settings, its tests and its README section."""

from typing import Any

from telephony.generic import Generic
from telephony.mango.vendor import Mango
from telephony.sipuni import Sipuni
from telephony.uis import Uis
from telephony.vendor import Vendor
from telephony.zadarma.vendor import Zadarma

VENDORS: tuple[type[Vendor], ...] = (Mango, Zadarma, Sipuni, Uis, Generic)
NAMES = tuple(vendor.name for vendor in VENDORS)


def vendors(settings: Any) -> dict[str, Vendor]:
    """Each vendor, configured from ``settings`` (configured or not: an unconfigured one refuses
    its webhooks with a reason), by name, in registry order."""
    return {vendor.name: vendor(settings) for vendor in VENDORS}


def kind_of(name: str) -> type[Vendor]:
    """The vendor stored as ``name``, for what it can do (``Vendor``'s defaults for a name no longer registered)."""
    return next((vendor for vendor in VENDORS if vendor.name == name), Vendor)
