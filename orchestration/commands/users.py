"""`rcm users`: manage who may sign in to the dashboards, and with which role.

    rcm users add NAME --role executive|manager|biller   (prompts for the password twice)
    echo "$PASSWORD" | rcm users add NAME --role biller --password-stdin
    rcm users list
    rcm users remove NAME
    rcm users ensure-demo     (one user per role, random passwords printed once, if no users file yet)

The file is `Settings.users_file` (RCM_USERS_FILE overrides); it holds werkzeug hashes, never passwords.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from orchestration.settings import get_settings

ROLE_CHOICES = ("executive", "manager", "biller")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user (or reset one with --replace)")
    add.add_argument("name", help="user name: a lowercase letter, then a-z, 0-9, '_', '.', '-' (at most 32)")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--replace", action="store_true", help="reset the password and role of an existing user")
    actions.add_parser("list", help="list users and roles")
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    actions.add_parser(
        "ensure-demo", help="create demo users (executive, manager, biller) if there is no users file"
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    from dashboards.auth import UserError, add_user, ensure_demo_users, load_users, remove_user

    path = get_settings().users_file
    if args.action == "add":
        try:
            password = _read_password(args.password_stdin)
            record = add_user(args.name, args.role, password, path=path, replace=args.replace)
        except (UserError, ValueError) as error:
            print(f"rcm users add: {error}", file=sys.stderr)
            return 2
        print(f"User {record.name} ({record.role}) saved in {path}")
        return 0
    if args.action == "list":
        users = load_users(path)
        if not users:
            print(f"No users in {path}")
            return 0
        for user in sorted(users.values(), key=lambda u: u.name):
            print(f"{user.name:<24} {user.role:<10} created {user.created_at}")
        return 0
    if args.action == "remove":
        if remove_user(args.name, path):
            print(f"User {args.name} removed")
            return 0
        print(f"rcm users remove: no user {args.name!r}", file=sys.stderr)
        return 1
    if args.action == "ensure-demo":
        passwords = ensure_demo_users(path)
        if passwords is None:
            print(f"{path} exists; demo users not created (nothing changed).")
            return 0
        print(f"Demo users created in {path}. Passwords are shown only now; write them down:")
        for name, password in passwords.items():
            print(f"  {name:<10} {password}")
        return 0
    return 2
