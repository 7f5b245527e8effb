#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It installs Rust and YOUR copy of the grader at a pinned tag, then builds the
# grader's tests,
# so that each submission only builds the student's own programs.
set -euo pipefail

# Your copy of this repository, and the tag your class grades with.
GRADER_REPO=https://github.com/YOUR-ORG/sockets-by-phone.git
GRADER_TAG=v1.0

apt-get update
apt-get install -y --no-install-recommends \
    build-essential ca-certificates curl git python3

curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
    sh -s -- -y --profile minimal
. "$HOME/.cargo/env"

git clone --depth 1 --branch "$GRADER_TAG" "$GRADER_REPO" /autograder/grader
cd /autograder/grader
cargo xtask grade --list >/dev/null # builds the grader and its tests now, once
