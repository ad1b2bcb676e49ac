"""The pull agents' API (docs/features.md V4).

For people (user tokens and sessions, RolePermission): /api/v1/agents/ lists and creates
agents (the token is in the creation answer only), .../{id}/revoke/ and
.../{id}/package/ (the zip, with a fresh token).

For agents (their own token, `Authorization: Bearer cla_...`; user credentials are not
accepted there): GET /api/v1/agent/jobs/ and POST /api/v1/agent/jobs/{id}/result/.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import agent_actions as actions
from agents import agent_jobs
from agents.models import Agent, AgentJob
from agents.tokens import agent_for_token, mark_seen
from certlife.api import validated_input
from certlife.query import FilteredApiView, FilterForm, choice_filter, text_filter
from certlife.throttling import FailedTokenThrottle

AGENT_SCHEME = b"bearer"


class AgentSerializer(serializers.ModelSerializer):
    revoked = serializers.BooleanField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "name", "last_seen_at", "revoked"]
        read_only_fields = fields


class CreateAgentInput(serializers.Serializer):
    name = serializers.CharField(max_length=actions.MAX_NAME_LENGTH)


def certlife_url(request) -> str:
    """The address agents call: CERTLIFE_BASE_URL, else the one this request came to."""
    return settings.CERTLIFE_BASE_URL or request.build_absolute_uri("/").rstrip("/")


class AgentFilterForm(FilterForm):
    name = text_filter(help_text="Part of the agent's name.")
    status = choice_filter([("active", "Active"), ("revoked", "Revoked")])

    def narrow(self, queryset, values):
        if "status" in values:
            queryset = queryset.filter(revoked_at__isnull=values["status"] == "active")
        if "name" in values:
            queryset = queryset.filter(name__icontains=values["name"])
        return queryset


class AgentViewSet(FilteredApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Pull agents. Administrators create, revoke and download (a package carries a
    token that receives private keys); operators and auditors read. List filters:
    `?status=active|revoked`, `?name=` (part of the name)."""

    queryset = Agent.objects.all()
    serializer_class = AgentSerializer
    filter_form_class = AgentFilterForm
    action_permissions = {
        "revoke": ["agents.change_agent"],
        "package": ["agents.change_agent"],
    }

    @extend_schema(request=CreateAgentInput, responses={201: AgentSerializer})
    def create(self, request):
        """Create an agent; the answer's `token` is shown this once."""
        data = validated_input(CreateAgentInput, request.data)
        agent, token = actions.create_agent(name=data["name"], actor=request.user)
        return Response(
            {**AgentSerializer(agent).data, "token": token}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: AgentSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        agent = actions.revoke_agent(self.get_object(), actor=request.user)
        return Response(AgentSerializer(agent).data)

    @extend_schema(responses={(200, "application/zip"): bytes})
    @action(detail=True, methods=["get"])
    def package(self, request, pk=None):
        """The agent package; downloading it gives the agent a new token."""
        agent = self.get_object()
        content = actions.download_agent_package(
            agent, server_url=certlife_url(request), actor=request.user
        )
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="certlife-agent.zip"'
        response["Cache-Control"] = "no-store"
        return response


class AgentTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <agent token>`. An unknown token counts towards the same
    per-address lockout as bad user tokens; a revoked one is refused (401)."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != AGENT_SCHEME:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed("Malformed agent token header.")
        throttle = FailedTokenThrottle()
        wait = throttle.seconds_locked(request)
        if wait is not None:
            raise exceptions.Throttled(wait)
        agent = agent_for_token(words[1].decode("latin-1"))
        if agent is None:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed("Unknown agent token.")
        if agent.revoked:
            raise exceptions.AuthenticationFailed("This agent's token is revoked.")
        mark_seen(agent)
        return (AnonymousUser(), agent)

    def authenticate_header(self, request):
        return "Bearer"


class IsAgent(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Agent)


@extend_schema(exclude=True)  # not for user tokens: the agent program is its one client
class AgentOnlyView(APIView):
    authentication_classes = [AgentTokenAuthentication]
    permission_classes = [IsAgent]


class AgentJobsAnswer(serializers.Serializer):
    jobs = serializers.ListField(child=serializers.DictField())


class AgentJobsView(AgentOnlyView):
    """The calling agent's jobs, oldest first (at most 20 a poll)."""

    @extend_schema(responses={200: AgentJobsAnswer})
    def get(self, request):
        jobs = agent_jobs.jobs_to_send(request.auth)
        return Response({"jobs": [agent_jobs.job_payload(job) for job in jobs]})


class JobResultInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["succeeded", "failed", "rolled_back"])
    output = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=agent_jobs.MAX_REPORTED_CHARS
    )
    error = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=agent_jobs.MAX_REPORTED_CHARS
    )


class JobResultAnswer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class AgentJobResultView(AgentOnlyView):
    """The outcome of one of the calling agent's jobs."""

    queryset = AgentJob.objects.all()  # (names the model; the agent's own jobs are looked up)

    @extend_schema(request=JobResultInput, responses={200: JobResultAnswer})
    def post(self, request, pk):
        data = validated_input(JobResultInput, request.data)
        job = AgentJob.objects.filter(agent=request.auth, pk=pk).first()
        if job is None:
            raise exceptions.NotFound("No such job for this agent.")
        agent_jobs.record_result(
            job,
            succeeded=data["status"] == "succeeded",
            rolled_back=data["status"] == "rolled_back",
            output=data["output"],
            error=data["error"],
        )
        return Response({"id": job.pk, "status": job.status})
