"""``sicollect bootstrap``: what ``make run`` does before serving.

Migrates, loads the demo province when the database has no unit yet, and gives
the ``admin`` user a fresh random password, printed once.
"""
from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from sicollect.registry.models import Unit


class Command(BaseCommand):
    help = "Migrate, load the demo province if the database is empty, and (re)set the admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", default="small", choices=["small", "province"])
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Unit.objects.exists():
            self.stdout.write(f"Loading the demo province ({opts['scale']}, seed {opts['seed']}) …")
            call_command("demo", scale=opts["scale"], seed=opts["seed"])
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username="admin", defaults={"is_staff": True})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(
            "\nsicollect is ready.\n"
            "  URL:      http://127.0.0.1:8000/  (admin: /admin/)\n"
            "  user:     admin\n"
            f"  password: {password}\n"
        ))
