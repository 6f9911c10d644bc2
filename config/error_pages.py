"""The site's 400/403/404/500 answers when no view gave one: JSON in the one error shape
(``core.api.errors``) at the machine doors (the partner API, shop, carrier and provider
webhooks), Django's pages for people everywhere else."""

from django.views import defaults

from core.api.errors import error_response

MACHINE_DOORS = ("/api/", "/intake/", "/webhooks/", "/anymail/")


def _for_machines(request) -> bool:
    return request.path.startswith(MACHINE_DOORS)


def bad_request(request, exception=None):
    if _for_machines(request):
        return error_response(400, str(exception) or "bad request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _for_machines(request):
        return error_response(403, str(exception) or "permission denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _for_machines(request):
        return error_response(404, f"nothing at {request.path}")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _for_machines(request):
        return error_response(500, "the server failed; the request can be retried", code="server_error")
    return defaults.server_error(request)
