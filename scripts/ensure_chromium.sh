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

if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test: no Chromium found and no apt-get to install it; install Chromium" \
         "and set CHROMIUM=/path/to/chromium for the browser test." >&2
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "make test: no Chromium found; run 'sudo apt-get install chromium' for the" \
         "browser test." >&2
    exit 0
fi

echo "make test: installing Debian's chromium for the browser test (apt-get)"
$SUDO apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || \
    echo "make test: apt-get could not install chromium; the browser test will say so." >&2
exit 0
