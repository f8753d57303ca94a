"""Refuse addresses that no page can answer: a NUL character in the path or the query.

PostgreSQL cannot store or compare text holding NUL, so such a value reaching a query raises an
error deep inside a view (a 500). No real link contains one; the reader gets a 400 that says
which part is wrong (as JSON under /api/, as the site's page elsewhere).
"""

from django.http import JsonResponse
from django.shortcuts import render

NUL = "\x00"


def nul_problem(request) -> tuple[str, str] | None:
    """(where, message) for the first part of the address holding a NUL, or None."""
    if NUL in request.path:
        return "path", "The address holds a character that no page uses (a NUL byte)."
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            name = key.replace(NUL, "")
            return name, f"The parameter {name} holds a character that no value uses (a NUL byte)."
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = nul_problem(request)
        if problem is None:
            return self.get_response(request)
        where, message = problem
        if request.path.startswith("/api/"):
            return JsonResponse({where: [message]}, status=400)
        return render(request, "tracker/bad_request.html", {"message": message}, status=400)
