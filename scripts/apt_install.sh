#!/usr/bin/env bash
# apt_install.sh PACKAGE WHAT-FOR: install a Debian package with apt-get when we may (root
# or password-less sudo). Otherwise say what to run and leave the decision to the feature
# that needs it, which fails with the same advice. Never fails itself.
set -u
package="$1"
what_for="$2"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "make: no apt-get to install $package ($what_for); install it by hand." >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "make: $package is missing ($what_for); run 'sudo apt-get install $package'." >&2
    exit 0
fi
echo "make: installing Debian's $package for $what_for (apt-get)"
$SUDO apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null || \
    echo "make: apt-get could not install $package; $what_for will say so." >&2
exit 0
