"""``sicollect apitoken create USER [--name N]`` / ``revoke PREFIX``: API tokens."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sicollect.api.models import ApiToken
from sicollect.core import audit
from sicollect.core.audit import cli_actor


class Command(BaseCommand):
    help = "Create an API token for a user (printed once) or revoke one by its prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["verb"] == "create":
            user = get_user_model().objects.filter(username=opts["username"]).first()
            if user is None:
                raise CommandError(f"no user {opts['username']!r}")
            with transaction.atomic():
                row, token = ApiToken.issue(user, opts["name"])
                audit.record("issue_api_token", cli_actor(), "user", user.get_username(),
                                  after={"prefix": row.prefix, "name": row.name}, source="sicollect apitoken create")
            self.stdout.write(token)
        else:
            with transaction.atomic():
                n = ApiToken.objects.filter(prefix=opts["prefix"], revoked=False).update(revoked=True)
                if n:
                    audit.record("revoke_api_token", cli_actor(), "api_token", opts["prefix"],
                                      before={"revoked": False}, after={"revoked": True},
                                      source="sicollect apitoken revoke")
            if not n:
                raise CommandError(f"no active token starting {opts['prefix']!r}")
            self.stdout.write(f"revoked {n} token(s)")
