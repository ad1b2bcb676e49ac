"""An alert in each channel's format (docs/features.md N7).

- Email: a plain-text and an HTML part (templates/alerts/email.txt, email.html).
- Generic webhook: `{"event", "certificate": {"id", "common_name", "domains",
  "not_after", "days_left"} | null, "message", "url"}`; `event` is one of
  alerts.choices.AlertEvent (expiry, renewal_failed, deployment_failed, test).
- Slack incoming webhook: `{"text": fallback, "blocks": [...]}` (Block Kit: a header,
  a section in mrkdwn, and a link button).
- Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is
  received"), which takes `{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.4>}]}`. The
  older Office 365 connector MessageCard is retired by Microsoft, so it is not sent.
"""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from alerts.choices import ChannelKind
from alerts.models import Alert

ADAPTIVE_CARD_VERSION = "1.4"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
LINK_TITLE = "Open in certlife"


def email_message(alert: Alert, recipients: list[str]) -> EmailMultiAlternatives:
    context = {"alert": alert, "certificate": alert.certificate_facts or None}
    text = render_to_string("alerts/email.txt", context)
    html = render_to_string("alerts/email.html", context)
    message = EmailMultiAlternatives(subject=alert.subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message


def webhook_payload(alert: Alert) -> dict:
    return {
        "event": alert.event,
        "certificate": alert.certificate_facts or None,
        "message": alert.message,
        "url": alert.url,
    }


def _facts(alert: Alert) -> list[tuple[str, str]]:
    facts = alert.certificate_facts
    if not facts:
        return []
    shown = [("Names", ", ".join(facts.get("domains") or [facts.get("common_name", "")]))]
    if facts.get("not_after"):
        shown.append(("Expires", facts["not_after"]))
    if facts.get("days_left") is not None:
        shown.append(("Days left", str(facts["days_left"])))
    return shown


def slack_payload(alert: Alert) -> dict:
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.message[:3000]}},
    ]
    facts = _facts(alert)
    if facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{title}*\n{value}"[:2000]}
                    for title, value in facts
                ],
            }
        )
    if alert.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": LINK_TITLE},
                        "url": alert.url,
                    }
                ],
            }
        )
    return {"text": f"{alert.subject}: {alert.message}", "blocks": blocks}


def teams_payload(alert: Alert) -> dict:
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": alert.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": alert.message, "wrap": True},
    ]
    facts = _facts(alert)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]})
    card: dict = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if alert.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": LINK_TITLE, "url": alert.url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


PAYLOADS = {
    ChannelKind.WEBHOOK: webhook_payload,
    ChannelKind.SLACK: slack_payload,
    ChannelKind.TEAMS: teams_payload,
}
