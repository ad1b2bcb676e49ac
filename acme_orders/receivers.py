"""What acme_orders does when the apps it depends on announce a change."""

from agents.signals import mappings_changed


def use_changed_mappings(sender, *, actor, **kwargs) -> None:
    """A mapping was added, changed or trusted: pending requests may use it now."""
    from acme_orders.actions import apply_agent_mappings

    apply_agent_mappings(actor=actor)


def connect_receivers() -> None:
    mappings_changed.connect(use_changed_mappings, dispatch_uid="acme_orders.use_changed_mappings")
