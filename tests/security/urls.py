"""The project's URLs plus two sign-in paths the project does not mount itself, to show they share
the login throttle: the browsable API's login (`rest_framework.urls`) and a single sign-on
callback built on the public functions of config/login_throttle.py, as the OpenID Connect
callback is."""

from django.contrib.auth import get_user_model, login
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config import login_throttle
from config.urls import urlpatterns as project_urlpatterns

# The identity provider's answer, as the test sets it: the account it vouches for, or None.
ASSERTED: dict[str, str | None] = {"username": None}


@csrf_exempt
@require_POST
def sso_callback(request):
    """A stand-in SSO callback: the claimed account is checked first, counted on refusal,
    cleared on success."""
    claimed = request.POST.get("claimed") or None
    login_throttle.login_throttle_check(request=request, username=claimed)
    vouched = ASSERTED["username"]
    if vouched is None or vouched != claimed:
        login_throttle.login_failure_record(request=request, username=claimed)
        return JsonResponse({"code": "authentication_failed"}, status=403)
    user = get_user_model().objects.get(username=vouched)
    login(request, user, backend="config.login_throttle.LoginThrottleBackend")
    return HttpResponse("signed in")


urlpatterns = [
    path("api-auth/", include("rest_framework.urls")),
    path("sso/callback/", sso_callback),
    *project_urlpatterns,
]
