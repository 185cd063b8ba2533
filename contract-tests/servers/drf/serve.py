"""A Django REST framework + django-filter list of call logs, as such apps are written: a model, a
serializer, a FilterSet, PageNumberPagination and TokenAuthentication, served by wsgiref.

    python serve.py RECORDS.json PORT [FAULT]

loads the records (newest first) into a fresh SQLite file and serves GET /calls/ until killed.
FAULT breaks one promise of openapi.yaml through the framework's own configuration:

    max-page-size-100   PageNumberPagination.max_page_size = 100 (the document promises 1000)
    start-exclusive     the FilterSet's start_date uses lookup_expr "gt" instead of "gte"
    unstable-order      ordering = ["-creation_time", "?"]: ties in random order on each request
    allow-any           permission_classes = [AllowAny]: no credentials needed
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import django
from django.conf import settings

RECORDS, PORT = sys.argv[1], int(sys.argv[2])
FAULT = sys.argv[3] if len(sys.argv) > 3 else ""
TOKEN = "drf-list-servers-0123456789abcdef01234567"[:40]

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="list-servers",
    USE_TZ=True,
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(tempfile.mkdtemp()) / "calls.sqlite3"),
        }
    },
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework.authtoken",
        "django_filters",
    ],
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

import django_filters  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import generics, pagination, permissions, serializers  # noqa: E402


class CallLog(models.Model):
    call_type = models.CharField(max_length=16)
    call_status = models.CharField(max_length=16)
    creation_time = models.DateTimeField()
    call_duration = models.IntegerField()
    end_reason = models.CharField(max_length=64)
    source_number = models.CharField(max_length=20)
    destination_number = models.CharField(max_length=20)
    start_time = models.DateTimeField(null=True)
    end_time = models.DateTimeField(null=True)

    class Meta:
        app_label = "calls"


class CallLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallLog
        exclude = ["id"]


class CallLogFilter(django_filters.FilterSet):
    call_type = django_filters.ChoiceFilter(choices=[(c, c) for c in ("inbound", "outbound")])
    call_status = django_filters.ChoiceFilter(
        choices=[(c, c) for c in ("completed", "missed", "failed", "no-answer")]
    )
    start_date = django_filters.IsoDateTimeFilter(
        field_name="creation_time", lookup_expr="gt" if FAULT == "start-exclusive" else "gte"
    )
    end_date = django_filters.IsoDateTimeFilter(field_name="creation_time", lookup_expr="lte")
    min_duration = django_filters.NumberFilter(field_name="call_duration", lookup_expr="gte")

    class Meta:
        model = CallLog
        fields: list[str] = []


class Pages(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100 if FAULT == "max-page-size-100" else 1000


class CallLogs(generics.ListAPIView):
    serializer_class = CallLogSerializer
    pagination_class = Pages
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = CallLogFilter
    if FAULT == "allow-any":
        permission_classes = [permissions.AllowAny]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        tie = "?" if FAULT == "unstable-order" else "-id"
        return CallLog.objects.order_by("-creation_time", tie)


urlpatterns = [path("calls/", CallLogs.as_view())]

if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    with connection.schema_editor() as editor:
        editor.create_model(CallLog)
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=User.objects.create(username="qa"), key=TOKEN)
    # The oldest first, so that ids grow with creation_time and ties keep the file's order.
    CallLog.objects.bulk_create(CallLog(**r) for r in reversed(json.loads(Path(RECORDS).read_text())))
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    make_server("127.0.0.1", PORT, get_wsgi_application(), handler_class=Quiet).serve_forever()
