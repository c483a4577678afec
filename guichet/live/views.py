"""The SSE endpoint: `/live/events/`, for signed-in members only, filtered by their scope."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guichet.core.scopes import access_scope
from guichet.live.brokers import get_broker
from guichet.live.stream import StreamTiming, event_stream


@require_GET
async def live_events(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = await request.auser()
    scope = await sync_to_async(access_scope)(user)
    if scope.is_empty:
        # EventSource does not reconnect after an error status: a signed-out tab stops asking.
        return HttpResponse(_("Sign in to receive live updates."), status=403)
    last_event_id = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    cursor = await sync_to_async(get_broker().cursor)(last_event_id)
    timing = StreamTiming(
        poll_s=settings.GUICHET_LIVE_POLL_SECONDS,
        heartbeat_s=settings.GUICHET_LIVE_HEARTBEAT_SECONDS,
        duration_s=settings.GUICHET_LIVE_STREAM_SECONDS,
    )
    response = StreamingHttpResponse(
        event_stream(scope, cursor, timing), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    # Tell nginx-like proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
