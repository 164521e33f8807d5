#!/usr/bin/env bash
# Formatting and lint for TypeScript and C++. `--fix` rewrites files instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == --fix ]]; then
  npx prettier --write .
  npx eslint --fix .
  git ls-files -co --exclude-standard 'native/*.h' 'native/*.cpp' 'test/native/*.cpp' 'fuzz/*.cpp' | xargs -r clang-format -i
  exit 0
fi
npx prettier --check .
npx eslint .
npx tsc -p tsconfig.test.json
if ! command -v clang-format >/dev/null; then
  echo "lint: clang-format is missing (Debian package clang-format)" >&2
  exit 1
fi
git ls-files -co --exclude-standard 'native/*.h' 'native/*.cpp' 'test/native/*.cpp' 'fuzz/*.cpp' | xargs -r clang-format --dry-run -Werror
