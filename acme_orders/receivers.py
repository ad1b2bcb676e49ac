"""What acme_orders does when the apps it depends on announce a change."""

from acme_orders.key_release import record_deployment_release
from agents.signals import mappings_changed, private_key_sent


def use_changed_mappings(sender, *, actor, **kwargs) -> None:
    """A mapping was added, changed or trusted: pending requests may use it now."""
    from acme_orders.actions import apply_agent_mappings

    apply_agent_mappings(actor=actor)


def connect_receivers() -> None:
    mappings_changed.connect(use_changed_mappings, dispatch_uid="acme_orders.use_changed_mappings")
    private_key_sent.connect(
        record_deployment_release, dispatch_uid="acme_orders.deployment_release"
    )
