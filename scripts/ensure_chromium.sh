#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_browser.py) when no Chromium
# is found. Playwright cannot download its own browser on our machines, so the test drives
# the system one. Needs root or password-less sudo; otherwise it says what to do and
# leaves the decision to the test, which fails with the same advice (or skips outside CI
# when STACKS_SKIP_BROWSER=1).
set -u

# Outside CI, STACKS_SKIP_BROWSER=1 skips the browser test; then there is nothing to install.
if [ -n "${STACKS_SKIP_BROWSER:-}" ] && [ -z "${CI:-}" ]; then
    exit 0
fi

for name in "${CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$name" ] && command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done

exec "$(dirname "$0")/apt_install.sh" chromium "the browser test"
