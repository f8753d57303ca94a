"""One log line per request: request id, method, path, status and duration.

With DJANGO_LOG_FORMAT=json each line is a JSON object with those as fields. The request id is
the proxy's `X-Request-ID` when it sends a sane one, else a new one; it is sent back in the
response's `X-Request-ID` header so a reader's report can be matched to the line. Paths that carry
a secret (subscription and password-reset tokens) are logged as their URL pattern instead, and
neither query strings nor client addresses are logged.
"""

import logging
import re
import time
import uuid

logger = logging.getLogger("tracker.requests")

INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
SECRET_URL_PARTS = frozenset({"token", "uidb64"})


def loggable_path(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_URL_PARTS & set(match.kwargs):
        return "/" + match.route
    return request.path


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        path = loggable_path(request)
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.INFO
        logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
        )
        return response
