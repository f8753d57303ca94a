"""The "Forgotten your password?" page: the same answer, as fast, whatever was typed.

The form only queues a job (tracker.send_password_reset) and says "check your e-mail": it never
looks the address up itself, so neither its words nor its timing tell whether an account exists.
Requests are limited per client address per hour (past the limit nothing is queued, and the
answer is the same); the job limits e-mails per account per day.
"""

import logging

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponseRedirect
from django.utils import timezone

from tracker.enqueue import task_named
from tracker.ops.client_address import client_address
from tracker.ops.rate_limits import allow

logger = logging.getLogger(__name__)


class QueuedPasswordResetView(PasswordResetView):
    template_name = "registration/password_reset_form.html"

    def form_valid(self, form):
        client = client_address(self.request) or "unknown"
        window = timezone.now().strftime("%Y%m%d%H")
        if allow(f"password-reset:{client}:{window}", settings.PASSWORD_RESET_RATE_PER_HOUR, 3600):
            try:
                task_named("tracker.send_password_reset").delay(form.cleaned_data["email"])
            except Exception:  # the broker is down: the reader is told alike; it is logged
                logger.exception("Could not queue a password reset e-mail.")
        return HttpResponseRedirect(self.get_success_url())
