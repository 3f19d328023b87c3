"""Component ids of the shell, defined once (page components are named `<page key>-<name>` in their
page module; the prefix is what ties a component to its page)."""

URL = "shell-url"
CLAIM_STORE = "shell-claim"  # the claim_id a biller opened, kept in session storage, never in the URL
NAV = "shell-nav"
DATES = "shell-dates"
PAYER = "shell-payer"
PROVIDER = "shell-provider"
LOCATION = "shell-location"
CLEAR = "shell-clear"
FOOTER = "shell-footer"
