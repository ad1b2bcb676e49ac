from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents and deployment"

    def ready(self):
        from certlife.navigation import NavigationEntry, register

        register(
            NavigationEntry(
                "Manage", "Deploy", "agent-mapping-list", "agents.view_agentmapping", 30
            )
        )
        register(NavigationEntry("Manage", "Windows Agent", "agent-list", "agents.view_agent", 40))
